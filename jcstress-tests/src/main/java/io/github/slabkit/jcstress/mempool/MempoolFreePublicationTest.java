package io.github.slabkit.jcstress.mempool;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.jcstress.Recycler;
import io.github.slabkit.mempool.Mempool;
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
 * Claim: actions in a thread prior to freeing an object into a mempool happen-before actions following the
 * allocation that returns it from the reserve on another thread ({@code Mempool}'s memory-consistency
 * sentence, for the path through the reserve).
 *
 * <p>The pool ({@code minNr = 1}) sits on a slab cache that cannot grow and has no free object, and its
 * reserve is empty; the state holds X. Actor 1 writes a fresh stamp into both words of X with plain stores
 * and frees X, which refills the reserve. Actor 2 allocates once: the slab cache has nothing, so it gets X
 * from the reserve or nothing. If it got X, it must see the stamp in both words.
 */
@JCStressTest
@Description(
    "Actions in a thread prior to freeing an object into a mempool happen-before actions following "
        + "the allocation that returns it from the reserve on another thread (Mempool's memory-consistency "
        + "sentence, for the path through the reserve).")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "The next owner got X from the reserve and saw both words written before the free.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The next owner came before the free and got nothing.")
@Outcome(id = {"1, 0", "1, 1"}, expect = FORBIDDEN, desc = "The next owner got X but saw stale bytes: the free did not publish the writes.")
@Outcome(id = "2, 0", expect = FORBIDDEN, desc = "The next owner got an object that was not free.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MempoolFreePublicationTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private final long stamp = ++f.stamp;
  private long got;

  @Actor
  public void producer() {
    MemorySegment m = f.pool.memory(f.x);
    long off = f.pool.offset(f.x);
    m.set(JAVA_LONG, off, stamp);
    m.set(JAVA_LONG, off + 8, stamp);
    f.pool.free(f.x);
  }

  @Actor
  public void consumer(II_Result r) {
    long h = f.pool.tryAllocate();
    got = h;
    if (h == 0) {
      r.r1 = 0;
      r.r2 = 0;
    } else if (h != f.x) {
      r.r1 = 2;
      r.r2 = 0;
    } else {
      MemorySegment m = f.pool.memory(h);
      long off = f.pool.offset(h);
      long a = m.get(JAVA_LONG, off);
      long b = m.get(JAVA_LONG, off + 8);
      r.r1 = 1;
      r.r2 = (a == stamp ? 1 : 0) + (b == stamp ? 1 : 0);
    }
  }

  /** Takes X back (from the consumer, or from the reserve), so the next sample starts the same way. */
  @Arbiter
  public void arbiter() {
    if (got == f.x || (got == 0 && f.pool.tryAllocate() == f.x)) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    // One slab of two objects, no room to grow: the reserve takes one at build, X is the other.
    final SlabCache cache =
        SlabCache.builder("mempool-publication")
            .objectSize(16)
            .objectsPerSlab(2)
            .magazineSize(1)
            .budget(MemoryBudget.ofBytes("mempool-publication", 32))
            .build();
    final Mempool pool = Mempool.builder("mempool-publication", cache).minNr(1).build();
    final long x = pool.allocate();
    final long y = pool.allocate(); // empties the reserve; held for good
    long stamp;
  }
}
