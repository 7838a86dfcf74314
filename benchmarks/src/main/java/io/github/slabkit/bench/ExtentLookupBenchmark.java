package io.github.slabkit.bench;

import com.google.common.collect.Range;
import com.google.common.collect.RangeMap;
import com.google.common.collect.TreeRangeMap;
import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.RangeResult;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 4: the range containing an offset, at 100,000 and 1,000,000 ranges over 2^32. The offsets are
 * 2^20 precomputed random points inside random ranges (every lookup hits), visited in order.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
public class ExtentLookupBenchmark {
  static final int KEYS = 1 << 20;

  /** Common part: the slots and the keys. */
  @State(Scope.Thread)
  public abstract static class Keys {
    @Param({"100000", "1000000"})
    public int ranges;

    SlotRanges slots;
    long[] keys;
    int next;

    void makeKeys() {
      slots = new SlotRanges(ranges, 42);
      keys = slots.lookupKeys(KEYS, 7);
    }

    final long nextKey() {
      return keys[next++ & (KEYS - 1)];
    }
  }

  /** Guava {@code TreeRangeMap}. */
  public static class GuavaState extends Keys {
    RangeMap<Long, Integer> map;

    @Setup(Level.Trial)
    public void setUp() {
      makeKeys();
      map = TreeRangeMap.create();
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          map.putCoalescing(
              Range.closed(slots.start(i), slots.end(i)), ExtentSetClearBenchmark.DIRTY_VALUE);
        }
      }
    }
  }

  /** The hand-rolled {@code TreeMap} range map. */
  public static class TreeMapState extends Keys {
    TreeMapRangeMap map;

    @Setup(Level.Trial)
    public void setUp() {
      makeKeys();
      map = new TreeMapRangeMap();
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          map.set(slots.start(i), slots.end(i), ExtentSetClearBenchmark.DIRTY);
        }
      }
    }
  }

  /** The Slabkit extent tree. */
  public static class SlabkitState extends Keys {
    /** {@code btree}: the B+tree of nodes (issue 13); {@code rbtree}: the red-black tree of states. */
    @Param({"btree", "rbtree"})
    public String structure;

    ExtentFixture fixture;
    final RangeResult out = new RangeResult();

    @Setup(Level.Trial)
    public void setUp() {
      makeKeys();
      fixture = new ExtentFixture("bench-lookup", ExtentFixture.btree(structure)).fillDirty(slots);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      fixture.tree.clear(0, SlotRanges.SPACE - 1, ExtentBits.DIRTY);
      fixture.close();
    }
  }

  /** The state containing the offset, copied into a reused {@link RangeResult}. */
  @Benchmark
  public RangeResult slabkitStateAt(SlabkitState s) {
    s.fixture.tree.stateAt(s.nextKey(), s.out);
    return s.out;
  }

  @Benchmark
  public Map.Entry<Range<Long>, Integer> guavaGetEntry(GuavaState s) {
    return s.map.getEntry(s.nextKey());
  }

  @Benchmark
  public Map.Entry<Long, long[]> treeMapFloorEntry(TreeMapState s) {
    return s.map.get(s.nextKey());
  }
}
