package io.github.slabkit.jcstress.slab;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.jcstress.Recycler;
import io.github.slabkit.slab.SlabCache;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: two virtual threads racing for the last free object never both get it, and one of them gets it.
 * Virtual threads do not have per-thread magazines: they use striped magazines taken with a try-lock, or go
 * straight to the depot and the slab when both stripes they try are busy; this is that path.
 *
 * <p>Same cache as {@link SlabLastObjectRaceTest}: one slab of three objects, two pinned, a budget of that
 * slab. Each actor starts a virtual thread that calls {@code tryAllocate()} and joins it.
 */
@JCStressTest
@Description(
    "Two virtual threads racing for the last free object never both get it, and one of them gets it. "
        + "Virtual threads do not have per-thread magazines: they use striped magazines taken with a "
        + "try-lock, or go straight to the depot and the slab when both stripes they try are busy; this is "
        + "that path.")
@Outcome(id = {"1, 0", "0, 1"}, expect = ACCEPTABLE, desc = "Exactly one virtual thread got the last object.")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "Both virtual threads got an object although only one was free.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Neither virtual thread got the object although it was free.")
@Outcome(id = {"-1, 0", "0, -1", "-1, 1", "1, -1", "-1, -1"}, expect = FORBIDDEN, desc = "An allocation threw: the cache's bookkeeping broke under the race.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabVirtualThreadLastObjectTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private long h1;
  private long h2;

  @Actor
  public void actor1(II_Result r) {
    h1 = inVirtualThread(f.slab.cache);
    r.r1 = result(h1);
  }

  @Actor
  public void actor2(II_Result r) {
    h2 = inVirtualThread(f.slab.cache);
    r.r2 = result(h2);
  }

  private static long inVirtualThread(SlabCache cache) {
    long[] out = new long[1];
    Thread t =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    out[0] = cache.tryAllocate();
                  } catch (RuntimeException e) {
                    out[0] = -1;
                  }
                });
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return out[0]; // join() is a happens-before edge from the virtual thread's write
  }

  private static int result(long h) {
    return h == -1 ? -1 : h != 0 ? 1 : 0;
  }

  /**
   * Puts the last object back from this platform thread (its magazines are empty), alternately aiming at the
   * depot and the slab. A flush request left by an earlier shrink() may divert the depot attempt to the slab;
   * both are places where the next two virtual threads contend.
   */
  @Arbiter
  public void arbiter(II_Result r) {
    if ((h1 == 0) == (h2 == 0) || h1 == -1 || h2 == -1) {
      return;
    }
    long h = h1 != 0 ? h1 : h2;
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
    final SlabFixture slab = new SlabFixture("virtual-last-object", 8, 3, 1);
    boolean toDepot;
  }
}
