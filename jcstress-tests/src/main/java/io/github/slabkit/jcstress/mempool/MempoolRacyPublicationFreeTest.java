package io.github.slabkit.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.jcstress.Recycler;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: the unlocked "is the reserve below {@code minNr}" test of a free never misses an object that was
 * taken from the reserve, even when the handle reached the freeing thread through a data race (a plain field,
 * no happens-before edge). The kernel pairs {@code smp_wmb()} after taking from the reserve with
 * {@code smp_rmb()} at the start of {@code mempool_free()}; the mempool pairs a store-store fence after the
 * take with a load-load fence before its second unlocked test, which follows the backing allocator's free
 * (a free whose first, unfenced test read a stale "full" takes an object back from the backing allocator
 * into the reserve). Here the freeing thread's magazine holds R once it freed it, so the object taken back
 * is R. Lincheck's sequentially consistent model cannot see this case.
 *
 * <p>The pool ({@code minNr = 1}) sits on a slab cache that cannot grow and has no free object; its reserve
 * holds R. Actor 1 allocates (it gets R from the reserve, the level drops to 0) and stores the handle into a
 * plain field. Actor 2 reads the field plainly and, if it saw the handle, frees it: the free must see the
 * reserve below {@code minNr} and refill it, not give R to the slab cache.
 */
@JCStressTest
@Description(
    "A free of a reserve object whose handle arrived through a data race still refills the reserve"
        + " (the smp_wmb/smp_rmb fence pair of mempool_free).")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The freeing thread saw the handle and the free refilled the reserve.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The freeing thread did not see the handle yet; R is still out.")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "The free missed the reserve: an object taken from it went to the backing allocator.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome (the allocation failed, or the reserve refilled by itself) is a bug.")
@State
public class MempoolRacyPublicationFreeTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private long shared; // plain on purpose: the data race under test
  private long taken;
  private int sawHandle;

  @Actor
  public void allocator() {
    long h = f.pool.tryAllocate();
    taken = h;
    shared = h;
  }

  @Actor
  public void freer() {
    long h = shared;
    if (h != 0) {
      sawHandle = 1;
      f.pool.free(h);
    }
  }

  @Arbiter
  public void arbiter(II_Result r) {
    r.r1 = taken == 0 ? 2 : sawHandle;
    r.r2 = f.pool.reserveLevel();
    // Put R back into the reserve so the next sample starts the same way.
    if (taken != 0 && sawHandle == 0) {
      f.pool.free(taken);
    } else if (taken != 0 && r.r2 == 0) {
      long back = f.pool.tryAllocate(); // from the slab cache, where the forbidden free put it
      if (back == 0) {
        return; // stranded in the freeing thread's magazine: drop this fixture
      }
      f.pool.free(back);
    }
    if (f.pool.reserveLevel() == 1) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    // One slab of two objects, no room to grow: the reserve takes one at build, Y is the other, held.
    final SlabCache cache =
        SlabCache.builder("mempool-racy-free")
            .objectSize(16)
            .objectsPerSlab(2)
            .magazineSize(1)
            .budget(MemoryBudget.ofBytes("mempool-racy-free", 32))
            .build();
    final Mempool pool = Mempool.builder("mempool-racy-free", cache).minNr(1).build();
    final long y = pool.allocate(); // from the cache: it is now exhausted
  }
}
