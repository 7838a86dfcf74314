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
 * Claim (the leak sampler's, {@code internal/LeakSampler}): a sampled object freed on another thread leaves
 * no record behind. The record is put by the allocating thread before the handle leaves it, and removed by
 * the freeing thread, which got the handle through a happens-before edge; so a free can never run before the
 * put and leave a stale record that would later be reported as a leak.
 *
 * <p>Actor 1 allocates with every allocation sampled and publishes the handle through a volatile field;
 * actor 2 reads the field and, if it sees the handle, frees it. The arbiter frees the handle if actor 2 did
 * not, then counts the sampled records left. Result: (actor 2 freed it, records left).
 */
@JCStressTest
@Description("A sampled object freed on another thread leaves no leak-sampler record behind.")
@Outcome(id = {"1, 0", "0, 0"}, expect = ACCEPTABLE, desc = "The free, on either thread, removed the record.")
@Outcome(id = {"1, 1", "0, 1"}, expect = FORBIDDEN, desc = "A freed object is still recorded: a false leak report.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class SlabLeakSamplingFreeRaceTest {
  private static final Recycler<Fixture> POOL = new Recycler<>(Fixture::new);

  private final Fixture f = POOL.take();
  private volatile long published;
  private int freedByOther;

  @Actor
  public void allocator() {
    published = f.cache.allocate();
  }

  @Actor
  public void freer() {
    long h = published;
    if (h != 0) {
      f.cache.free(h);
      freedByOther = 1;
    }
  }

  @Arbiter
  public void arbiter(II_Result r) {
    if (freedByOther == 0) {
      f.cache.free(published);
    }
    r.r1 = freedByOther;
    r.r2 = f.cache.sampledLiveObjects().size();
    POOL.recycle(f);
  }

  /**
   * A small cache (jcstress keeps thousands of states, so thousands of fixtures, alive at once) that samples
   * every allocation; all its objects are free between samples.
   */
  static final class Fixture {
    final SlabCache cache =
        SlabCache.builder("jcstress-leak-sampling")
            .objectSize(16)
            .objectsPerSlab(4)
            .magazineSize(1)
            .depotMagazines(2)
            .leakSampling(1)
            .build();
  }
}
