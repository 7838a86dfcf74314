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
 * Claim: {@code shrink()} racing an allocation never releases the slab of a live object: the object the
 * allocation returned stays readable and writable, and it is not handed out again.
 *
 * <p>The cache has a budget of two slabs of two objects; the first slab holds the fixture's two pinned
 * objects, the second is empty but kept (an empty slab that {@code shrink()} releases). Actor 1 shrinks;
 * actor 2 allocates (from the empty slab, or from a new one if the shrink released it first) and writes and
 * reads its object. The arbiter then checks the handle, reads the object again and allocates once more,
 * which must not return the same handle. Result: (actor 2's view, arbiter's view), where 1 is "object
 * usable", 0 is "got nothing" and -1 is "memory gone or handle reissued".
 */
@JCStressTest
@Description(
    "Shrink() racing an allocation never releases the slab of a live object: the object the "
        + "allocation returned stays readable and writable, and it is not handed out again.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The allocation got an object that stayed usable and was not handed out again.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The shrink released the empty slab while the allocation was growing a new one, and the allocation got nothing (tryAllocate may fail under a full budget).")
@Outcome(id = {"-1, -1", "-1, 1", "1, -1", "-1, 0"}, expect = FORBIDDEN, desc = "The shrink released the memory of a live object, or the object was handed out twice.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabShrinkVersusAllocateTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private final long stamp = ++f.stamp;
  private long h;

  @Actor
  public void shrinker() {
    f.slab.cache.shrink();
  }

  @Actor
  public void allocator(II_Result r) {
    SlabCache cache = f.slab.cache;
    long got = cache.tryAllocate();
    h = got;
    if (got == 0) {
      r.r1 = 0;
      return;
    }
    try {
      MemorySegment m = cache.memory(got);
      long off = cache.offset(got);
      m.set(JAVA_LONG, off, stamp);
      r.r1 = m.get(JAVA_LONG, off) == stamp ? 1 : -1;
    } catch (RuntimeException e) {
      r.r1 = -1;
    }
  }

  @Arbiter
  public void arbiter(II_Result r) {
    SlabCache cache = f.slab.cache;
    long other = cache.tryAllocate();
    if (h != 0) {
      try {
        cache.checkHandle(h);
        MemorySegment m = cache.memory(h);
        r.r2 = m.get(JAVA_LONG, cache.offset(h)) == stamp && other != h ? 1 : -1;
      } catch (RuntimeException e) {
        r.r2 = -1;
      }
    } else {
      r.r2 = 0;
    }
    if (r.r2 < 0 || other == 0) {
      return;
    }
    long second = h != 0 ? h : cache.tryAllocate();
    if (second != 0 && f.restore(other, second)) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    final SlabFixture slab = new SlabFixture("shrink-vs-allocate", 16, 2, 2);
    long stamp;

    Fixture() {
      // The pushers fill the first slab; these two grow the second.
      long a = slab.cache.allocate();
      long b = slab.cache.allocate();
      if (!restore(a, b)) {
        throw new IllegalStateException("could not place the empty slab");
      }
    }

    /**
     * Frees both objects of the second slab so that it is empty but kept: free a and shrink (the slab keeps
     * b, so it is not released; shrink flags this thread to flush), then free b, which the flagged flush
     * gives back to the slab without releasing it.
     */
    boolean restore(long a, long b) {
      SlabCache cache = slab.cache;
      cache.free(a);
      cache.shrink();
      return slab.freeToSlabKeepingIt(b);
    }
  }
}
