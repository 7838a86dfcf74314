package io.github.slabkit.jcstress.slab;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.jcstress.Recycler;
import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.MemorySegment;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: actions in a thread prior to {@code free(h)} happen-before actions following the allocation that
 * hands {@code h} out again on another thread ({@code SlabCache}'s memory-consistency sentence), here for
 * the path through a magazine and the depot.
 *
 * <p>Actor 1 writes a fresh stamp into both words of object X with plain stores, frees X and then two pusher
 * objects, which sends X's magazine to the depot (a release by the depot's queue), and takes the pushers
 * back. Actor 2 allocates once; the slab has no free object, so it gets X from the depot (an acquire) or
 * nothing. If it got X, it must see the stamp in both words.
 */
@JCStressTest
@Description(
    "Actions in a thread prior to free(h) happen-before actions following the allocation that hands "
        + "h out again on another thread (SlabCache's memory-consistency sentence), here for the path "
        + "through a magazine and the depot.")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "The next owner got X and saw both words written before the free.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The next owner came before X reached the depot and got nothing.")
@Outcome(id = {"1, 0", "1, 1"}, expect = FORBIDDEN, desc = "The next owner got X but saw stale bytes: the free did not publish the writes.")
@Outcome(id = "2, 0", expect = FORBIDDEN, desc = "The next owner got an object that was not free.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabFreePublicationTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private final long stamp = ++f.stamp;
  private long back1;
  private long back2;
  private long got;

  @Actor
  public void producer() {
    SlabCache cache = f.slab.cache;
    MemorySegment m = cache.memory(f.x);
    long off = cache.offset(f.x);
    m.set(JAVA_LONG, off, stamp);
    m.set(JAVA_LONG, off + 8, stamp);
    cache.free(f.x);
    cache.free(f.y);
    cache.free(f.z);
    back1 = cache.tryAllocate();
    back2 = cache.tryAllocate();
  }

  @Actor
  public void consumer(II_Result r) {
    SlabCache cache = f.slab.cache;
    long h = cache.tryAllocate();
    got = h;
    if (h == 0) {
      r.r1 = 0;
      r.r2 = 0;
    } else if (h != f.x) {
      r.r1 = 2;
      r.r2 = 0;
    } else {
      MemorySegment m = cache.memory(h);
      long off = cache.offset(h);
      long a = m.get(JAVA_LONG, off);
      long b = m.get(JAVA_LONG, off + 8);
      r.r1 = 1;
      r.r2 = (a == stamp ? 1 : 0) + (b == stamp ? 1 : 0);
    }
  }

  /** Takes X back (from the consumer, or from the depot) so the next sample starts the same way. */
  @Arbiter
  public void arbiter() {
    if (back1 != f.z || back2 != f.y) {
      return;
    }
    if (got == 0 && f.slab.cache.tryAllocate() != f.x) {
      return;
    }
    if (got == 0 || got == f.x) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    final SlabFixture slab = new SlabFixture("publication", 16, 5, 1);
    // X, Y and Z are the three objects besides the pushers: all allocated, so the slab has no free object.
    final long x = slab.cache.allocate();
    final long y = slab.cache.allocate();
    final long z = slab.cache.allocate();
    long stamp;
  }
}
