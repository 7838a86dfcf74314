package io.github.slabkit.bench;

import io.github.slabkit.kmalloc.Kmalloc;
import io.github.slabkit.kmalloc.KmallocStatistics;
import io.github.slabkit.kmalloc.SizeClassScheme;
import io.github.slabkit.kmalloc.SizeClassStatistics;
import java.util.Locale;

/**
 * Issue 14: the internal fragmentation of the benchmark's size distribution ({@link SizeMix}), per class and
 * in total, for the kernel classes and the quarter classes, as kmalloc's own exact statistics report it
 * (request sampling 1). Run: {@code java -cp benchmarks/target/benchmarks.jar
 * io.github.slabkit.bench.KmallocFragmentation}.
 */
public final class KmallocFragmentation {
  private KmallocFragmentation() {}

  /**
   * Prints the table.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    int[] sizes = SizeMix.sizes(14);
    for (SizeClassScheme scheme : SizeClassScheme.values()) {
      try (Kmalloc k = Kmalloc.builder().name("frag").sizeClasses(scheme).requestSampling(1).build()) {
        for (int round = 0; round < 100; round++) {
          for (int size : sizes) {
            k.free(k.allocate(size));
          }
        }
        KmallocStatistics s = k.statistics();
        System.out.printf(Locale.ROOT, "%s classes: %d allocations, internal fragmentation %.1f%% of requested bytes%n",
            scheme, 100L * sizes.length, 100 * s.internalFragmentation());
        for (SizeClassStatistics c : s.classes()) {
          if (c.sampledAllocations() > 0) {
            System.out.printf(Locale.ROOT, "  %-12s %8d allocations  %5.1f%%%n",
                c.name(), c.sampledAllocations(), 100 * c.internalFragmentation());
          }
        }
      }
    }
  }
}
