package io.github.slabkit.slab;

import java.time.Duration;
import java.util.List;

/**
 * A live object whose allocation the production leak detector sampled ({@link
 * SlabCacheBuilder#leakSampling(int)}): where, when and by whom it was allocated. A snapshot: the object may
 * have been freed since.
 *
 * @param handle the object
 * @param age how long ago it was allocated
 * @param thread the name of the thread that allocated it
 * @param site the allocation site, the caller of the cache first (frames of the slab package are left out;
 *     at most 16 frames)
 */
public record SampledAllocation(long handle, Duration age, String thread, List<StackTraceElement> site) {
  /**
   * Copies the site.
   *
   * @param handle the object
   * @param age how long ago it was allocated
   * @param thread the allocating thread's name
   * @param site the allocation site
   */
  public SampledAllocation {
    site = List.copyOf(site);
  }
}
