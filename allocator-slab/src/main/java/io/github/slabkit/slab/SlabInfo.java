package io.github.slabkit.slab;

import java.util.Collection;
import java.util.Locale;

/**
 * Renders slab caches in the format of Linux's {@code /proc/slabinfo} (version 2.1), with Slabkit's extra
 * columns after a {@code : slabkit} marker, so tools and eyes used to the kernel's table read it directly.
 *
 * {@snippet :
 * System.out.print(SlabInfo.render(List.of(states, buffers)));
 * }
 */
public final class SlabInfo {
  private static final int PAGE = 4096;

  private SlabInfo() {}

  /**
   * Returns the table for every open cache of the global {@link SlabRegistry}.
   *
   * @return the text
   */
  public static String render() {
    return SlabRegistry.global().slabInfo();
  }

  /**
   * Returns the table for the given caches, one line each after the two header lines.
   *
   * @param caches the caches to list
   * @return the text, ending with a newline
   */
  public static String render(Collection<SlabCache> caches) {
    StringBuilder sb = new StringBuilder();
    sb.append("slabinfo - version: 2.1\n");
    sb.append(
        "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
            + " : tunables <limit> <batchcount> <sharedfactor>"
            + " : slabdata <active_slabs> <num_slabs> <sharedavail>"
            + " : slabkit <cached_objs> <allocs> <frees> <fastpath> <depot_xchg> <grows> <releases>"
            + " <failures> <double_frees> <bytes_charged>\n");
    for (SlabCache c : caches) {
      sb.append(line(c.slabStatistics(), c.magazineSizeForInfo())).append('\n');
    }
    return sb.toString();
  }

  static String line(SlabStatistics s, int magazine) {
    long pages = (s.slabBytes() + PAGE - 1) / PAGE;
    return String.format(
        Locale.ROOT,
        "%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d"
            + " : slabkit %6d %d %d %d %d %d %d %d %d %d",
        s.name(),
        s.activeObjects() + s.cachedObjects(),
        s.totalObjects(),
        s.stride(),
        s.objectsPerSlab(),
        pages,
        magazine,
        magazine,
        0,
        s.activeSlabs(),
        s.totalSlabs(),
        0,
        s.cachedObjects(),
        s.allocations(),
        s.frees(),
        s.fastPathAllocations(),
        s.depotExchanges(),
        s.slabGrows(),
        s.slabReleases(),
        s.failures(),
        s.doubleFrees(),
        s.bytesCharged());
  }
}
