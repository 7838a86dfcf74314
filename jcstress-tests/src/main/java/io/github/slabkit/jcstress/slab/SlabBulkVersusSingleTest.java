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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: a bulk allocation racing single allocations never hands out a handle twice, never hands out more
 * objects than are free, and is all or nothing.
 *
 * <p>The cache cannot grow and has three free objects: one alone in a full magazine in the depot, two free
 * in the slab. Actor 1 takes two in bulk ({@code tryAllocateBulk}: its own magazines, then the depot, then
 * the slab, giving back what it took if it cannot get both); actor 2 allocates twice, one at a time. The
 * result is (objects the bulk got, objects the singles got, handles seen twice).
 */
@JCStressTest
@Description(
    "A bulk allocation racing single allocations never hands out a handle twice, never hands out "
        + "more objects than are free, and is all or nothing.")
@Outcome(id = {"2, 1, 0", "0, 2, 0"}, expect = ACCEPTABLE, desc = "Every handle went to one owner and every free object went out.")
@Outcome(id = {"2, 0, 0", "0, 1, 0", "0, 0, 0"}, expect = FORBIDDEN, desc = "An allocation failed although enough objects were free: an object was lost or a failure was spurious.")
@Outcome(id = {"2, 1, 1", "2, 2, 1", "2, 2, 2", "2, 1, 2", "0, 2, 1"}, expect = FORBIDDEN, desc = "A handle was handed out twice.")
@Outcome(id = "2, 2, 0", expect = FORBIDDEN, desc = "Four distinct objects went out although only three were free.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabBulkVersusSingleTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private final long[] bulk = new long[2];
  private boolean bulkOk;
  private long s1;
  private long s2;

  @Actor
  public void bulk() {
    bulkOk = f.slab.cache.tryAllocateBulk(bulk, 2);
  }

  @Actor
  public void singles() {
    SlabCache cache = f.slab.cache;
    s1 = cache.tryAllocate();
    s2 = cache.tryAllocate();
  }

  @Arbiter
  public void arbiter(III_Result r) {
    long[] held = new long[4];
    int n = 0;
    if (bulkOk) {
      held[n++] = bulk[0];
      held[n++] = bulk[1];
    } // after a failure dst holds nothing the caller owns (its contents are unspecified)
    int singles = 0;
    if (s1 != 0) {
      held[n++] = s1;
      singles++;
    }
    if (s2 != 0) {
      held[n++] = s2;
      singles++;
    }
    int dups = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        if (held[i] == held[j] || held[i] == 0) {
          dups++;
        }
      }
    }
    r.r1 = bulkOk ? 2 : 0;
    r.r2 = singles;
    r.r3 = dups;
    if (dups == 0 && f.restore(held, n)) {
      POOL.recycle(f);
    }
  }

  static final class Fixture {
    final SlabFixture slab = new SlabFixture("bulk-vs-single", 8, 5, 1);

    Fixture() {
      restore(new long[0], 0);
    }

    /**
     * Frees the held objects into the slab, then moves one free object into the depot. shrink() flags
     * this thread to flush; the allocation that follows consumes the flag before freeToDepot runs.
     */
    boolean restore(long[] held, int n) {
      SlabCache cache = slab.cache;
      for (int i = 0; i < n; i++) {
        cache.free(held[i]);
      }
      cache.shrink();
      long h = cache.tryAllocate();
      return h != 0 && slab.freeToDepot(h);
    }
  }
}
