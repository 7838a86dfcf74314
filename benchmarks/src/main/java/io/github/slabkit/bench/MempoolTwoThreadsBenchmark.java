package io.github.slabkit.bench;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Issue 3: two threads contending on ONE pool, each allocating and freeing 64-byte objects; the score is
 * the time of one pair as seen by each thread. Netty pooled (one shared allocator) for scale.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--enable-native-access=ALL-UNNAMED",
      "--sun-misc-unsafe-memory-access=allow",
      "-Dio.netty.leakDetection.level=disabled"
    })
@Threads(2)
public class MempoolTwoThreadsBenchmark {

  /** One mempool over one slab cache with an unlimited budget, shared by both threads. */
  @State(Scope.Benchmark)
  public static class Shared {
    SlabCache slab;
    Mempool pool;

    @Setup(Level.Trial)
    public void setUp() {
      slab = Anchors.slab("bench-2t-backing");
      pool = Mempool.builder("bench-2t", slab).minNr(MempoolBenchmark.MIN_NR).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      pool.close();
      slab.close();
    }
  }

  /** One mempool whose backing cache is exhausted (see MempoolBenchmark.BackingExhausted), shared. */
  @State(Scope.Benchmark)
  public static class SharedExhausted {
    SlabCache slab;
    Mempool pool;
    final List<Long> held = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      slab =
          SlabCache.builder("bench-2t-exhausted")
              .objectSize(Anchors.SIZE)
              .budget(MemoryBudget.ofBytes("bench-2t-exhausted", 64 * 1024))
              .maxWait(Duration.ofMillis(1))
              .build();
      pool = Mempool.builder("bench-2t-reserve", slab).minNr(MempoolBenchmark.MIN_NR).build();
      for (long h = slab.tryAllocate(); h != 0; h = slab.tryAllocate()) {
        held.add(h);
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

  /** Netty pooled, shared. */
  @State(Scope.Benchmark)
  public static class Netty {
    ByteBufAllocator pooled;

    @Setup(Level.Trial)
    public void setUp() {
      pooled = Anchors.nettyPooled();
    }
  }

  @Benchmark
  public long mempoolAllocateFree(Shared s) {
    long h = s.pool.allocate();
    s.pool.free(h);
    return h;
  }

  /**
   * Both threads on the reserve: the backing cache refuses (a thread-local slab slow path on each call),
   * the reserve serves. The backing cache's per-thread magazines are empty, so its refusal costs a depot
   * look-up and a budget check each time.
   */
  @Benchmark
  public long mempoolReservePathAllocateFree(SharedExhausted s) {
    long h = s.pool.allocate();
    s.pool.free(h);
    return h;
  }

  @Benchmark
  public ByteBuf nettyPooled(Netty s) {
    ByteBuf b = s.pooled.directBuffer(Anchors.SIZE);
    b.release();
    return b;
  }

  /** See {@link AllocPairBenchmark#nettyPooledEventLoop}. */
  @Benchmark
  @OperationsPerInvocation(AllocPairBenchmark.EVENT_LOOP_BATCH)
  public void nettyPooledEventLoop(Netty s, Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < AllocPairBenchmark.EVENT_LOOP_BATCH; i++) {
            ByteBuf b = s.pooled.directBuffer(Anchors.SIZE);
            b.release();
            bh.consume(b);
          }
        });
  }
}
