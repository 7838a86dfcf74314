package io.github.slabkit.bench;

import com.google.common.collect.Range;
import com.google.common.collect.RangeMap;
import com.google.common.collect.TreeRangeMap;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Issue 4, memory per range: builds each range structure with N ranges of the benchmark workload (see
 * {@link SlotRanges}) and reports the heap it holds, measured as the difference of GC-settled heap use
 * before and after (System.gc() repeated until the figure is stable), divided by N. Run it alone, with
 * a serial collector for the steadiest figures:
 *
 * <pre>java -XX:+UseSerialGC -Xmx4g -cp benchmarks.jar io.github.slabkit.bench.MemoryFootprint 1000000</pre>
 */
public final class MemoryFootprint {
  private MemoryFootprint() {}

  public static void main(String[] args) throws InterruptedException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    SlotRanges slots = new SlotRanges(n, 42);
    System.out.printf(Locale.ROOT, "%d ranges over 2^32, JDK %s%n", n, Runtime.version());
    report("Guava TreeRangeMap<Long,Integer>", n, measure(i -> guava(slots)));
    report("TreeMap<Long,long[]> range map", n, measure(i -> treeMap(slots)));
    ExtentFootprint.report(new SlotRanges(n, 42), n, false); // fresh slots: the report churns them
    ExtentFootprint.report(new SlotRanges(n, 42), n, true);
  }

  static void report(String what, int n, long heapBytes) {
    System.out.printf(
        Locale.ROOT, "%-40s heap %,14d B  = %8.1f B/range%n", what, heapBytes, (double) heapBytes / n);
  }

  /** Heap bytes retained by the object {@code build} returns. */
  static long measure(IntFunction<Object> build) throws InterruptedException {
    long before = settledHeap();
    Object o = build.apply(0);
    try {
      return settledHeap() - before;
    } finally {
      Reference.reachabilityFence(o);
    }
  }

  static long settledHeap() throws InterruptedException {
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      System.gc();
      Thread.sleep(50);
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (used == last) {
        return used;
      }
      last = used;
    }
    return last;
  }

  private static RangeMap<Long, Integer> guava(SlotRanges slots) {
    RangeMap<Long, Integer> map = TreeRangeMap.create();
    for (int i = 0; i < slots.slots(); i++) {
      if (slots.isOccupied(i)) {
        map.putCoalescing(Range.closed(slots.start(i), slots.end(i)), ExtentSetClearBenchmark.DIRTY_VALUE);
      }
    }
    return map;
  }

  private static TreeMapRangeMap treeMap(SlotRanges slots) {
    TreeMapRangeMap map = new TreeMapRangeMap();
    for (int i = 0; i < slots.slots(); i++) {
      if (slots.isOccupied(i)) {
        map.set(slots.start(i), slots.end(i), ExtentSetClearBenchmark.DIRTY);
      }
    }
    return map;
  }
}
