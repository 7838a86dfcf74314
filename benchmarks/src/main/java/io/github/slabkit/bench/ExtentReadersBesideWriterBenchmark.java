package io.github.slabkit.bench;

import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.RangeResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * Issue 13, readers beside a writer: point lookups ({@code stateAt}) on a tree of {@code ranges} ranges,
 * alone ({@link #readerAlone}) and while a second thread runs set+clear on the same tree as fast as it can
 * (group {@code mixed}: {@code mixed:reader} and {@code mixed:writer}). The target: the reader keeps at
 * least 80% of its alone throughput. With the red-black tree every reader takes the writer's lock; the
 * B+tree's readers are optimistic. Throughput mode, ops/us per thread.
 *
 * <p>The control (group {@code otherTree}): the same reader beside the same writer working on a second tree
 * of the same size. The reader shares nothing with that writer but the machine (its caches, its memory
 * bandwidth, the host's other load), so the control's ratio to {@code alone} is what two busy threads cost
 * each other here, and the gap between {@code mixed:reader} and {@code otherTree:otherTreeReader} is what
 * sharing the tree costs the reader.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
public class ExtentReadersBesideWriterBenchmark {

  /** The shared tree. */
  @State(Scope.Group)
  public static class Shared {
    @Param({"100000", "1000000"})
    public int ranges;

    /** {@code btree}: the B+tree of nodes (issue 13); {@code rbtree}: the red-black tree of states. */
    @Param({"btree", "rbtree"})
    public String structure;

    SlotRanges slots;
    ExtentFixture fixture;
    ExtentTree tree;
    long[] keys;
    // the control's writer works here: a tree of the same size and shape that no reader reads
    SlotRanges otherSlots;
    ExtentFixture otherFixture;
    ExtentTree other;

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
      keys = slots.lookupKeys(ExtentLookupBenchmark.KEYS, 7);
      fixture = new ExtentFixture("bench-readers", ExtentFixture.btree(structure)).fillDirty(slots);
      tree = fixture.tree;
      otherSlots = new SlotRanges(ranges, 43);
      otherFixture = new ExtentFixture("bench-readers-other", ExtentFixture.btree(structure)).fillDirty(otherSlots);
      other = otherFixture.tree;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      tree.clear(0, SlotRanges.SPACE - 1, ExtentBits.DIRTY);
      fixture.close();
      other.clear(0, SlotRanges.SPACE - 1, ExtentBits.DIRTY);
      otherFixture.close();
    }
  }

  /** One reader's position in the keys. */
  @State(Scope.Thread)
  public static class Reader {
    final RangeResult out = new RangeResult();
    int next;
  }

  /** The lookup, alone. */
  @Benchmark
  @Group("alone")
  @GroupThreads(1)
  public RangeResult readerAlone(Shared s, Reader r) {
    s.tree.stateAt(s.keys[r.next++ & (ExtentLookupBenchmark.KEYS - 1)], r.out);
    return r.out;
  }

  /** The lookup beside the writer. */
  @Benchmark
  @Group("mixed")
  @GroupThreads(1)
  public RangeResult reader(Shared s, Reader r) {
    s.tree.stateAt(s.keys[r.next++ & (ExtentLookupBenchmark.KEYS - 1)], r.out);
    return r.out;
  }

  /** The writer: set on a free slot, clear an occupied one (the set+clear workload). */
  @Benchmark
  @Group("mixed")
  @GroupThreads(1)
  public ExtentTree writer(Shared s) {
    int a = s.slots.takeEmpty();
    s.tree.set(s.slots.start(a), s.slots.end(a), ExtentBits.DIRTY);
    int b = s.slots.takeOccupied();
    s.tree.clear(s.slots.start(b), s.slots.end(b), ExtentBits.DIRTY);
    return s.tree;
  }

  /** The control: the lookup beside a writer of another tree. */
  @Benchmark
  @Group("otherTree")
  @GroupThreads(1)
  public RangeResult otherTreeReader(Shared s, Reader r) {
    s.tree.stateAt(s.keys[r.next++ & (ExtentLookupBenchmark.KEYS - 1)], r.out);
    return r.out;
  }

  /** The control's writer: the set+clear workload on the other tree. */
  @Benchmark
  @Group("otherTree")
  @GroupThreads(1)
  public ExtentTree otherTreeWriter(Shared s) {
    int a = s.otherSlots.takeEmpty();
    s.other.set(s.otherSlots.start(a), s.otherSlots.end(a), ExtentBits.DIRTY);
    int b = s.otherSlots.takeOccupied();
    s.other.clear(s.otherSlots.start(b), s.otherSlots.end(b), ExtentBits.DIRTY);
    return s.other;
  }
}
