package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;
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
 * Issue 2: two threads, each allocating and freeing 64-byte objects of ONE shared allocator. The score is
 * the average time of one pair as seen by each thread: near-linear scaling means it stays close to the
 * one-thread figure of {@link AllocPairBenchmark}.
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
@State(Scope.Benchmark)
public class AllocTwoThreadsBenchmark {
  private SlabCache slab;
  private ByteBufAllocator pooled;
  private Arena poolArena;
  private MpmcAtomicArrayQueue<MemorySegment> mpmcPool;

  @Setup(Level.Trial)
  @SuppressWarnings("MustBeClosedChecker") // closed in tearDown(): JMH owns the lifecycle
  public void setUp() {
    slab = Anchors.slab("bench-2threads");
    pooled = Anchors.nettyPooled();
    poolArena = Arena.ofShared();
    mpmcPool = Anchors.mpmcPool(poolArena, 1024);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    poolArena.close();
    slab.close();
  }

  @Benchmark
  public long slabTryAllocateFree() {
    long h = slab.tryAllocate();
    slab.free(h);
    return h;
  }

  @Benchmark
  public long slabAllocateFree() {
    long h = slab.allocate();
    slab.free(h);
    return h;
  }

  @Benchmark
  public ByteBuf nettyPooled() {
    ByteBuf b = pooled.directBuffer(Anchors.SIZE);
    b.release();
    return b;
  }

  /** See {@link AllocPairBenchmark#nettyPooledEventLoop}. */
  @Benchmark
  @OperationsPerInvocation(AllocPairBenchmark.EVENT_LOOP_BATCH)
  public void nettyPooledEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < AllocPairBenchmark.EVENT_LOOP_BATCH; i++) {
            ByteBuf b = pooled.directBuffer(Anchors.SIZE);
            b.release();
            bh.consume(b);
          }
        });
  }

  @Benchmark
  public MemorySegment jctoolsMpmcPool() {
    MemorySegment s = mpmcPool.poll();
    mpmcPool.offer(s);
    return s;
  }
}
