package io.github.slabkit.bench;

import com.google.common.collect.Range;
import com.google.common.collect.RangeMap;
import com.google.common.collect.TreeRangeMap;
import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentTree;
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
 * Issue 4: set a bit on one random range and clear it from another, at a steady {@code ranges} ranges
 * over a 2^32 space (see {@link SlotRanges}). One operation = one set + one clear.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
public class ExtentSetClearBenchmark {
  static final int DIRTY = 1;
  static final Integer DIRTY_VALUE = DIRTY;

  /** Guava {@code TreeRangeMap}: putCoalescing + remove. */
  @State(Scope.Thread)
  public static class GuavaState {
    @Param({"100000", "1000000"})
    public int ranges;

    SlotRanges slots;
    RangeMap<Long, Integer> map;

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
      map = TreeRangeMap.create();
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          map.putCoalescing(Range.closed(slots.start(i), slots.end(i)), DIRTY_VALUE);
        }
      }
    }
  }

  /** The hand-rolled {@code TreeMap<Long, long[]>} range map. */
  @State(Scope.Thread)
  public static class TreeMapState {
    @Param({"100000", "1000000"})
    public int ranges;

    SlotRanges slots;
    TreeMapRangeMap map;

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
      map = new TreeMapRangeMap();
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          map.set(slots.start(i), slots.end(i), DIRTY);
        }
      }
    }
  }

  /** The Slabkit extent tree. */
  @State(Scope.Thread)
  public static class SlabkitState {
    /** {@code btree}: the B+tree of nodes (issue 13); {@code rbtree}: the red-black tree of states. */
    @Param({"btree", "rbtree"})
    public String structure;

    @Param({"100000", "1000000"})
    public int ranges;

    SlotRanges slots;
    ExtentFixture fixture;
    ExtentTree tree;

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
      fixture = new ExtentFixture("bench-setclear", ExtentFixture.btree(structure)).fillDirty(slots);
      tree = fixture.tree;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (tree.stateCount() != ranges) {
        throw new IllegalStateException("expected " + ranges + " states, have " + tree.stateCount());
      }
      tree.clear(0, SlotRanges.SPACE - 1, ExtentBits.DIRTY);
      fixture.close();
    }
  }

  @Benchmark
  public ExtentTree slabkitSetClear(SlabkitState s) {
    int a = s.slots.takeEmpty();
    s.tree.set(s.slots.start(a), s.slots.end(a), ExtentBits.DIRTY);
    int b = s.slots.takeOccupied();
    s.tree.clear(s.slots.start(b), s.slots.end(b), ExtentBits.DIRTY);
    return s.tree;
  }

  @Benchmark
  public RangeMap<Long, Integer> guavaPutCoalescingRemove(GuavaState s) {
    int a = s.slots.takeEmpty();
    s.map.putCoalescing(Range.closed(s.slots.start(a), s.slots.end(a)), DIRTY_VALUE);
    int b = s.slots.takeOccupied();
    s.map.remove(Range.closed(s.slots.start(b), s.slots.end(b)));
    return s.map;
  }

  @Benchmark
  public TreeMapRangeMap treeMapSetClear(TreeMapState s) {
    int a = s.slots.takeEmpty();
    s.map.set(s.slots.start(a), s.slots.end(a), DIRTY);
    int b = s.slots.takeOccupied();
    s.map.clear(s.slots.start(b), s.slots.end(b));
    return s.map;
  }
}
