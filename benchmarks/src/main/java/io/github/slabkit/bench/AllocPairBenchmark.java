package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabLocal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
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
 * Issue 2, one thread: one 64-byte allocation followed by its free, for each allocator a user might pick.
 * Every benchmark returns the allocation (address or handle) so the JIT cannot drop the work.
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
public class AllocPairBenchmark {
  static final int EVENT_LOOP_BATCH = 8192;

  private SlabCache slab;
  private SlabLocal slabLocal;
  private ByteBufAllocator pooled;
  private ByteBufAllocator adaptive;
  private Arena poolArena;
  private MpmcAtomicArrayQueue<MemorySegment> mpmcPool;
  private long[] stack;
  private int top;

  @Setup(Level.Trial)
  @SuppressWarnings("MustBeClosedChecker") // closed in tearDown(): JMH owns the lifecycle
  public void setUp() {
    slab = Anchors.slab("bench-pair");
    slabLocal = slab.local(); // Scope.Thread: set up on the benchmark thread, which owns it
    pooled = Anchors.nettyPooled();
    adaptive = Anchors.nettyAdaptive();
    poolArena = Arena.ofShared();
    mpmcPool = Anchors.mpmcPool(poolArena, 1024);
    stack = new long[1024];
    for (int i = 0; i < stack.length; i++) {
      stack[i] = (i + 1L) * Anchors.SIZE;
    }
    top = stack.length;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    poolArena.close();
    slabLocal.close();
    slab.close();
  }

  @Benchmark
  public long slabTryAllocateFree() {
    long h = slab.tryAllocate();
    slab.free(h);
    return h;
  }

  /** The thread-bound context ({@link SlabCache#local()}): the same magazines, no per-call thread lookup. */
  @Benchmark
  public long slabLocalAllocateFree() {
    long h = slabLocal.allocate();
    slabLocal.free(h);
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

  /**
   * Netty pooled as on one of its event-loop threads: Netty 4.2 recycles buffer objects only on
   * FastThreadLocal threads (JMH workers are plain threads, where every directBuffer() makes a new
   * buffer object). {@code runWithFastThreadLocal} marks this thread as one for the duration of a batch
   * of {@value #EVENT_LOOP_BATCH} pairs; it drops the thread cache at the end, amortised over the batch.
   */
  @Benchmark
  @OperationsPerInvocation(EVENT_LOOP_BATCH)
  public void nettyPooledEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < EVENT_LOOP_BATCH; i++) {
            ByteBuf b = pooled.directBuffer(Anchors.SIZE);
            b.release();
            bh.consume(b);
          }
        });
  }

  /** Netty adaptive, same event-loop treatment as {@link #nettyPooledEventLoop}. */
  @Benchmark
  @OperationsPerInvocation(EVENT_LOOP_BATCH)
  public void nettyAdaptiveEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < EVENT_LOOP_BATCH; i++) {
            ByteBuf b = adaptive.directBuffer(Anchors.SIZE);
            b.release();
            bh.consume(b);
          }
        });
  }

  @Benchmark
  public ByteBuf nettyAdaptive() {
    ByteBuf b = adaptive.directBuffer(Anchors.SIZE);
    b.release();
    return b;
  }

  @Benchmark
  public long ffmMalloc() {
    MemorySegment p = NativeMalloc.malloc(Anchors.SIZE);
    NativeMalloc.free(p);
    return p.address();
  }

  @Benchmark
  public long ffmMallocCritical() {
    MemorySegment p = NativeMalloc.mallocCritical(Anchors.SIZE);
    NativeMalloc.freeCritical(p);
    return p.address();
  }

  @Benchmark
  public long arenaConfined() {
    try (Arena a = Arena.ofConfined()) {
      return a.allocate(Anchors.SIZE).address();
    }
  }

  @Benchmark
  public MemorySegment jctoolsMpmcPool() {
    MemorySegment s = mpmcPool.poll();
    mpmcPool.offer(s);
    return s;
  }

  /** The floor: pop and push of a plain long[] stack; no thread safety, no checks. */
  @Benchmark
  public long arrayStack() {
    long h = stack[--top];
    stack[top++] = h;
    return h;
  }

  /**
   * The floor of a thread-safe per-thread cache: the same stack reached through a {@code ThreadLocal} on
   * both the allocation and the free (as a magazine allocator must, since free is a separate call).
   */
  @Benchmark
  public long threadLocalArrayStack() {
    LocalStack a = LOCAL_STACK.get();
    long h = a.slots[--a.top];
    LocalStack f = LOCAL_STACK.get();
    f.slots[f.top++] = h;
    return h;
  }

  /** A per-thread stack of fake handles. */
  static final class LocalStack {
    final long[] slots = new long[1024];
    int top;

    LocalStack() {
      for (int i = 0; i < slots.length; i++) {
        slots[i] = (i + 1L) * Anchors.SIZE;
      }
      top = slots.length;
    }
  }

  private static final ThreadLocal<LocalStack> LOCAL_STACK = ThreadLocal.withInitial(LocalStack::new);

  /** For scale only: freed by the GC's cleaner, not by the caller. */
  @Benchmark
  public ByteBuffer byteBufferAllocateDirect() {
    return ByteBuffer.allocateDirect(Anchors.SIZE);
  }
}
