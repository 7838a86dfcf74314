package io.github.slabkit.bench;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolLocal;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabLocal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Issue 3, one thread: the mempool and reservation paths against the bare slab cache. 64-byte objects. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MempoolBenchmark {
  static final int MIN_NR = 16;

  /** The bare slab cache (the baseline of every mempool figure). */
  @State(Scope.Thread)
  public static class Bare {
    SlabCache a;
    SlabCache b;

    @Setup(Level.Trial)
    public void setUp() {
      a = Anchors.slab("bench-bare-a");
      b = Anchors.slab("bench-bare-b");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      a.close();
      b.close();
    }
  }

  /** A mempool over a slab cache whose budget is unlimited: the backing allocator always succeeds. */
  @State(Scope.Thread)
  public static class BackingSucceeds {
    SlabCache slab;
    Mempool pool;

    @Setup(Level.Trial)
    public void setUp() {
      slab = Anchors.slab("bench-pool-backing");
      pool = Mempool.builder("bench-pool", slab).minNr(MIN_NR).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      pool.close();
      slab.close();
    }
  }

  /** {@link BackingSucceeds} through a context owned by the benchmark thread. */
  @State(Scope.Thread)
  public static class BackingSucceedsLocal extends BackingSucceeds {
    MempoolLocal local;

    @Setup(Level.Trial)
    public void setUpLocal() {
      local = pool.local();
    }

    @TearDown(Level.Trial)
    public void tearDownLocal() {
      local.close();
    }
  }

  /** The bare slab cache through a context owned by the benchmark thread. */
  @State(Scope.Thread)
  public static class BareLocal {
    SlabCache a;
    SlabLocal local;

    @Setup(Level.Trial)
    public void setUp() {
      a = Anchors.slab("bench-bare-local");
      local = a.local();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      local.close();
      a.close();
    }
  }

  /**
   * A mempool whose backing slab cache is exhausted: its budget is one 64 KiB slab and every object of
   * that slab not in the reserve is held by this state, so each allocation is refused by the backing
   * cache (no waiting, no reclaim) and served from the reserve; each free refills the reserve.
   */
  @State(Scope.Thread)
  public static class BackingExhausted {
    SlabCache slab;
    Mempool pool;
    final List<Long> held = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      slab =
          SlabCache.builder("bench-exhausted")
              .objectSize(Anchors.SIZE)
              .budget(MemoryBudget.ofBytes("bench-exhausted", 64 * 1024))
              .maxWait(Duration.ofMillis(1))
              .build();
      pool = Mempool.builder("bench-reserve", slab).minNr(MIN_NR).build();
      for (long h = slab.tryAllocate(); h != 0; h = slab.tryAllocate()) {
        held.add(h);
      }
      if (held.isEmpty() || pool.reserveLevel() != MIN_NR) {
        throw new IllegalStateException("backing not exhausted: " + slab.slabStatistics());
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      for (long h : held) {
        slab.free(h);
      }
      pool.close();
      slab.close();
    }
  }

  /** Two pools over two slab caches and a reusable reservation of 2 objects from each. */
  @State(Scope.Thread)
  public static class TwoPools {
    SlabCache slabA;
    SlabCache slabB;
    Mempool a;
    Mempool b;
    Reservation.Builder demand;
    Reservation reusable;

    @Setup(Level.Trial)
    public void setUp() {
      slabA = Anchors.slab("bench-res-a");
      slabB = Anchors.slab("bench-res-b");
      a = Mempool.builder("bench-res-a", slabA).minNr(MIN_NR).build();
      b = Mempool.builder("bench-res-b", slabB).minNr(MIN_NR).build();
      demand = Reservation.of(a, 2).and(b, 2);
      reusable = demand.build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      reusable.close();
      a.close();
      b.close();
      slabA.close();
      slabB.close();
    }
  }

  /** {@link TwoPools} with the hold-and-wait checked mode on (what tests and the demo use). */
  public static class TwoPoolsChecked extends TwoPools {
    @Setup(Level.Trial)
    public void checkedOn() {
      Reservation.checkedMode(true);
    }

    @TearDown(Level.Trial)
    public void checkedOff() {
      Reservation.checkedMode(false);
    }
  }

  @Benchmark
  public long bareSlabAllocateFree(Bare s) {
    long h = s.a.allocate();
    s.a.free(h);
    return h;
  }

  /**
   * The bare slab pair with the kernel's load-load fence of {@code mempool_free} ({@code smp_rmb()}, here
   * {@link VarHandle#loadLoadFence()}) where the mempool's free has it, after the backing allocator's free, and
   * nothing else of the mempool: the floor of a mempool pair that keeps the fence. It emits no instruction on
   * x86, but the JIT reloads across it whatever is read after it; the distance from {@link
   * #bareSlabAllocateFree} is that cost. (Before the free, where the kernel has it, it cost about four
   * nanoseconds: the free reloaded what it would otherwise keep from the allocation.)
   */
  @Benchmark
  public long bareSlabFencedAllocateFree(Bare s) {
    long h = s.a.allocate();
    s.a.free(h);
    VarHandle.loadLoadFence();
    return h;
  }

  @Benchmark
  public long mempoolAllocateFree(BackingSucceeds s) {
    long h = s.pool.allocate();
    s.pool.free(h);
    return h;
  }

  /** The pool's thread-bound context ({@link Mempool#local()}) over the slab cache's. */
  @Benchmark
  public long mempoolLocalAllocateFree(BackingSucceedsLocal s) {
    long h = s.local.allocate();
    s.local.free(h);
    return h;
  }

  /** The bare slab cache's context: the baseline of {@link #mempoolLocalAllocateFree}. */
  @Benchmark
  public long bareSlabLocalAllocateFree(BareLocal s) {
    long h = s.local.allocate();
    s.local.free(h);
    return h;
  }

  @Benchmark
  public long mempoolTryAllocateFree(BackingSucceeds s) {
    long h = s.pool.tryAllocate();
    s.pool.free(h);
    return h;
  }

  @Benchmark
  public long reservePathAllocateFree(BackingExhausted s) {
    long h = s.pool.allocate();
    s.pool.free(h);
    return h;
  }

  @Benchmark
  public long reservePathTryAllocateFree(BackingExhausted s) {
    long h = s.pool.tryAllocate();
    s.pool.free(h);
    return h;
  }

  /**
   * Diagnostic: what the reserve path pays the backing cache for its refusal, i.e. {@code tryAllocate()}
   * on the exhausted slab cache (always 0).
   */
  @Benchmark
  public long exhaustedBackingTryAllocate(BackingExhausted s) {
    return s.slab.tryAllocate();
  }

  /** The baseline of the reservation figure: 2 + 2 bare allocations, then the 4 frees. */
  @Benchmark
  public long bareSlab4AllocateFree(Bare s) {
    long a1 = s.a.allocate();
    long a2 = s.a.allocate();
    long b1 = s.b.allocate();
    long b2 = s.b.allocate();
    s.a.free(a1);
    s.a.free(a2);
    s.b.free(b1);
    s.b.free(b2);
    return a1 ^ a2 ^ b1 ^ b2;
  }

  /** Reused reservation: reacquire + take 4 + free 4 + close; no heap allocation. */
  @Benchmark
  public long reservationReacquire(TwoPools s) {
    return reserveTakeFree(s);
  }

  /** Same with the checked mode on. */
  @Benchmark
  public long reservationReacquireChecked(TwoPoolsChecked s) {
    return reserveTakeFree(s);
  }

  /** A fresh reservation from a prepared builder each time: {@code acquire()} + take 4 + free 4 + close. */
  @Benchmark
  public long reservationAcquire(TwoPools s) {
    try (Reservation r = s.demand.acquire()) {
      long a1 = r.take(s.a);
      long a2 = r.take(s.a);
      long b1 = r.take(s.b);
      long b2 = r.take(s.b);
      s.a.free(a1);
      s.a.free(a2);
      s.b.free(b1);
      s.b.free(b2);
      return a1 ^ a2 ^ b1 ^ b2;
    }
  }

  private static long reserveTakeFree(TwoPools s) {
    Reservation r = s.reusable;
    r.reacquire();
    long a1 = r.take(s.a);
    long a2 = r.take(s.a);
    long b1 = r.take(s.b);
    long b2 = r.take(s.b);
    r.close();
    s.a.free(a1);
    s.a.free(a2);
    s.b.free(b1);
    s.b.free(b2);
    return a1 ^ a2 ^ b1 ^ b2;
  }
}
