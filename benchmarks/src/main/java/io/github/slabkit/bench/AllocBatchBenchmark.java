package io.github.slabkit.bench;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabLocal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Issue 2, one thread: 64 allocations of 64 bytes, then 64 frees. Scores are per pair
 * ({@code @OperationsPerInvocation(64)}), directly comparable with {@link AllocPairBenchmark}.
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
@State(Scope.Thread)
public class AllocBatchBenchmark {
  static final int BATCH = 64;

  private SlabCache slab;
  private SlabLocal slabLocal;
  private SlabCache poolBacking;
  private Mempool pool;
  private ByteBufAllocator pooled;
  private Arena poolArena;
  private MpmcAtomicArrayQueue<MemorySegment> mpmcPool;
  private final long[] handles = new long[BATCH];
  private final long[] stack = new long[1024];
  private int top;
  private final MemorySegment[] segments = new MemorySegment[BATCH];
  private final ByteBuf[] bufs = new ByteBuf[BATCH];

  @Setup(Level.Trial)
  @SuppressWarnings("MustBeClosedChecker") // closed in tearDown(): JMH owns the lifecycle
  public void setUp() {
    slab = Anchors.slab("bench-batch");
    slabLocal = slab.local(); // Scope.Thread: set up on the benchmark thread, which owns it
    poolBacking = Anchors.slab("bench-batch-pool-backing");
    pool = Mempool.builder("bench-batch-pool", poolBacking).minNr(16).build();
    pooled = Anchors.nettyPooled();
    poolArena = Arena.ofShared();
    mpmcPool = Anchors.mpmcPool(poolArena, 1024);
    for (int i = 0; i < stack.length; i++) {
      stack[i] = (i + 1L) * Anchors.SIZE;
    }
    top = stack.length;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    poolArena.close();
    pool.close();
    poolBacking.close();
    slabLocal.close();
    slab.close();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabAllocateFree() {
    long[] h = handles;
    for (int i = 0; i < BATCH; i++) {
      h[i] = slab.allocate();
    }
    for (int i = 0; i < BATCH; i++) {
      slab.free(h[i]);
    }
    return h[BATCH - 1];
  }

  /**
   * {@link #slabAllocateFree()} with the mempool free's load-load fence after each free and nothing else of
   * the mempool: the floor of a fenced mempool batch (see {@code MempoolBenchmark.bareSlabFencedAllocateFree}).
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabFencedAllocateFree() {
    long[] h = handles;
    for (int i = 0; i < BATCH; i++) {
      h[i] = slab.allocate();
    }
    for (int i = 0; i < BATCH; i++) {
      slab.free(h[i]);
      VarHandle.loadLoadFence();
    }
    return h[BATCH - 1];
  }

  /** The 64-batch loop through the thread-bound context ({@link SlabCache#local()}). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabLocalAllocateFree() {
    long[] h = handles;
    for (int i = 0; i < BATCH; i++) {
      h[i] = slabLocal.allocate();
    }
    for (int i = 0; i < BATCH; i++) {
      slabLocal.free(h[i]);
    }
    return h[BATCH - 1];
  }

  /** The bulk calls through the context: one owner check per batch, magazines copied out. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabLocalAllocateBulkFreeBulk() {
    slabLocal.allocateBulk(handles, BATCH);
    slabLocal.freeBulk(handles, BATCH);
    return handles[BATCH - 1];
  }

  /** The 64-batch loop through a mempool whose backing cache always succeeds (its reserve stays full). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long mempoolAllocateFree() {
    for (int i = 0; i < BATCH; i++) {
      handles[i] = pool.allocate();
    }
    long x = handles[BATCH - 1];
    for (int i = 0; i < BATCH; i++) {
      pool.free(handles[i]);
    }
    return x;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabAllocateBulkFreeBulk() {
    slab.allocateBulk(handles, BATCH);
    slab.freeBulk(handles, BATCH);
    return handles[BATCH - 1];
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public ByteBuf nettyPooled() {
    ByteBuf[] b = bufs;
    for (int i = 0; i < BATCH; i++) {
      b[i] = pooled.directBuffer(Anchors.SIZE);
    }
    for (int i = 0; i < BATCH; i++) {
      b[i].release();
    }
    return b[BATCH - 1];
  }

  /** As {@link AllocPairBenchmark#nettyPooledEventLoop}: 128 batches per FastThreadLocal section. */
  @Benchmark
  @OperationsPerInvocation(BATCH * 128)
  public void nettyPooledEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int r = 0; r < 128; r++) {
            bh.consume(nettyPooled());
          }
        });
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long ffmMalloc() {
    MemorySegment[] s = segments;
    for (int i = 0; i < BATCH; i++) {
      s[i] = NativeMalloc.malloc(Anchors.SIZE);
    }
    for (int i = 0; i < BATCH; i++) {
      NativeMalloc.free(s[i]);
    }
    return s[BATCH - 1].address();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public MemorySegment jctoolsMpmcPool() {
    MemorySegment[] s = segments;
    for (int i = 0; i < BATCH; i++) {
      s[i] = mpmcPool.poll();
    }
    for (int i = 0; i < BATCH; i++) {
      mpmcPool.offer(s[i]);
    }
    return s[BATCH - 1];
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long arrayStack() {
    long[] h = handles;
    for (int i = 0; i < BATCH; i++) {
      h[i] = stack[--top];
    }
    for (int i = 0; i < BATCH; i++) {
      stack[top++] = h[i];
    }
    return h[BATCH - 1];
  }
}
