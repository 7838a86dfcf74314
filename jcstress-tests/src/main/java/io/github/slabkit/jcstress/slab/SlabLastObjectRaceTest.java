package io.github.slabkit.jcstress.slab;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: two threads racing for the last free object of a slab cache never both get it, and one of them
 * gets it.
 *
 * <p>The cache has one slab of three objects and a budget of exactly that slab, so it cannot grow; two
 * objects are pinned by the fixture, and the third is the last free one. Samples alternate where it lies:
 * alone in a full magazine in the depot (both threads race to poll the depot's queue) or free in the slab
 * (both threads miss the empty depot and race for the slab lock). The racing threads' own magazines are
 * empty.
 */
@JCStressTest
@Description(
    "Two threads racing for the last free object of a slab cache never both get it, and one of them "
        + "gets it.")
@Outcome(id = {"1, 0", "0, 1"}, expect = ACCEPTABLE, desc = "Exactly one thread got the last object.")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "Both threads got an object although only one was free.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Neither thread got the object although it was free.")
@Outcome(id = {"-1, 0", "0, -1", "-1, 1", "1, -1", "-1, -1"}, expect = FORBIDDEN, desc = "An allocation threw: the cache's bookkeeping broke under the race.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabLastObjectRaceTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private long h1;
  private long h2;

  @Actor
  public void actor1(II_Result r) {
    h1 = allocate();
    r.r1 = result(h1);
  }

  @Actor
  public void actor2(II_Result r) {
    h2 = allocate();
    r.r2 = result(h2);
  }

  /** An exception from the allocator (a broken invariant inside it) is reported as an outcome, -1. */
  private long allocate() {
    try {
      return f.slab.cache.tryAllocate();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static int result(long h) {
    return h == -1 ? -1 : h != 0 ? 1 : 0;
  }

  /** Puts the last object back, alternately into the depot and into the slab. */
  @Arbiter
  public void arbiter(II_Result r) {
    if ((h1 == 0) == (h2 == 0) || h1 == -1 || h2 == -1) {
      return; // a forbidden outcome: drop the fixture
    }
    long h = h1 != 0 ? h1 : h2;
    // Both actors' allocations took the slow path, which consumed any flush request of an earlier
    // shrink(), so freeToDepot's precondition holds on this thread.
    boolean restored;
    if (f.toDepot) {
      restored = f.slab.freeToDepot(h);
    } else {
      f.slab.freeToSlab(h);
      restored = true;
    }
    f.toDepot = !f.toDepot;
    if (restored) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    final SlabFixture slab = new SlabFixture("last-object", 8, 3, 1);
    boolean toDepot;
  }
}
