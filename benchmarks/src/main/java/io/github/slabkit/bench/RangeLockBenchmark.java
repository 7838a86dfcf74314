package io.github.slabkit.bench;

import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.LockedRange;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
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
 * Issue 4: lock+unlock of an uncontended range (one thread). With {@code ranges = 0} the table is empty;
 * with 100,000 the table already holds that many locked ranges and the locked range lies between them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
public class RangeLockBenchmark {

  /** Guava {@code TreeRangeMap} under a monitor. */
  @State(Scope.Thread)
  public static class GuavaState {
    @Param({"0", "100000"})
    public int ranges;

    SlotRanges slots;
    GuavaRangeLockTable table;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
      slots = new SlotRanges(ranges, 42);
      table = new GuavaRangeLockTable();
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          table.lock(slots.start(i), slots.end(i));
        }
      }
    }
  }

  /** The Slabkit extent tree, the same ranges locked through its LOCKED bit. */
  @State(Scope.Thread)
  public static class SlabkitState {
    /** {@code btree}: the B+tree of nodes (issue 13); {@code rbtree}: the red-black tree of states. */
    @Param({"btree", "rbtree"})
    public String structure;

    @Param({"0", "100000"})
    public int ranges;

    SlotRanges slots;
    ExtentFixture fixture;
    ExtentTree tree;
    final LockedRange holder = new LockedRange();

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
      fixture = new ExtentFixture("bench-lock", ExtentFixture.btree(structure));
      tree = fixture.tree;
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          tree.lock(slots.start(i), slots.end(i));
        }
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (int i = 0; i < slots.slots(); i++) {
        if (slots.isOccupied(i)) {
          tree.unlock(slots.start(i), slots.end(i));
        }
      }
      fixture.close();
    }
  }

  /** The slots of the workload alone, for {@link #slotChoice}. */
  @State(Scope.Thread)
  public static class SlotsOnly {
    @Param({"0", "100000"})
    public int ranges;

    SlotRanges slots;

    @Setup(Level.Trial)
    public void setUp() {
      slots = new SlotRanges(ranges, 42);
    }
  }

  /** For scale: one plain lock. */
  @State(Scope.Thread)
  public static class PlainLock {
    final ReentrantLock lock = new ReentrantLock();
  }

  @Benchmark
  public GuavaRangeLockTable guavaRangeLockTable(GuavaState s) throws InterruptedException {
    int slot = s.slots.peekEmpty();
    long start = s.slots.start(slot);
    long end = s.slots.end(slot);
    s.table.lock(start, end);
    s.table.unlock(start, end);
    return s.table;
  }

  @Benchmark
  public ExtentTree slabkitLockUnlock(SlabkitState s) {
    int slot = s.slots.peekEmpty();
    long start = s.slots.start(slot);
    long end = s.slots.end(slot);
    s.tree.lock(start, end);
    s.tree.unlock(start, end);
    return s.tree;
  }

  /** The same through a reused {@link LockedRange} (try-with-resources), which remembers its grant. */
  @Benchmark
  public long slabkitLockedRange(SlabkitState s) {
    int slot = s.slots.peekEmpty();
    try (LockedRange r = s.tree.lock(s.slots.start(slot), s.slots.end(slot), s.holder)) {
      return r.end();
    }
  }

  /**
   * (control) The workload's own cost in {@link #slabkitLockUnlock}: the choice of a random empty slot and its
   * range, with no lock taken. The structures' figures include it; {@link #reentrantLock} does not.
   */
  @Benchmark
  public long slotChoice(SlotsOnly s) {
    int slot = s.slots.peekEmpty();
    return s.slots.start(slot) ^ s.slots.end(slot);
  }

  @Benchmark
  public ReentrantLock reentrantLock(PlainLock s) {
    s.lock.lock();
    try {
      return s.lock;
    } finally {
      s.lock.unlock();
    }
  }

  /**
   * The floor of a range lock+unlock under one tree lock: the tree lock taken and released twice (once by
   * the lock, once by the unlock), with nothing done inside.
   */
  @Benchmark
  public ReentrantLock reentrantLockTwice(PlainLock s) {
    s.lock.lock();
    try {
      s.lock.getHoldCount(); // nothing, inside the first critical section
    } finally {
      s.lock.unlock();
    }
    s.lock.lock();
    try {
      return s.lock;
    } finally {
      s.lock.unlock();
    }
  }
}
