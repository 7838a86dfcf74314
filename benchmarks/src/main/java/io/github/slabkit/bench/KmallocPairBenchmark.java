package io.github.slabkit.bench;

import io.github.slabkit.kmalloc.Kmalloc;
import io.github.slabkit.kmalloc.SizeClassScheme;
import io.github.slabkit.slab.SlabCache;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Issue 14, one thread: an allocation of a random size from 16 B to 4 KiB ({@link SizeMix}) followed by its
 * free, for kmalloc, Netty's pooled and adaptive allocators with the same sizes, and the fixed-size 64-byte
 * slab pair as the floor. Every benchmark steps through the same precomputed sizes.
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
public class KmallocPairBenchmark {
  private int[] sizes;
  private int next;
  private Kmalloc kmalloc;
  private Kmalloc quarter;
  private SlabCache slab;
  private ByteBufAllocator pooled;
  private ByteBufAllocator adaptive;

  @Setup(Level.Trial)
  public void setUp() {
    sizes = SizeMix.sizes(14);
    kmalloc = Kmalloc.builder().name("bench-kmalloc").build();
    quarter = Kmalloc.builder().name("bench-quarter").sizeClasses(SizeClassScheme.QUARTER).build();
    slab = Anchors.slab("bench-kmalloc-slab");
    pooled = Anchors.nettyPooled();
    adaptive = Anchors.nettyAdaptive();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    kmalloc.close();
    quarter.close();
    slab.close();
  }

  private int nextSize() {
    int i = next;
    next = (i + 1) & (SizeMix.COUNT - 1);
    return sizes[i];
  }

  @Benchmark
  public long kmallocAllocateFree() {
    long h = kmalloc.allocate(nextSize());
    kmalloc.free(h);
    return h;
  }

  @Benchmark
  public long kmallocTryAllocateFree() {
    long h = kmalloc.tryAllocate(nextSize());
    kmalloc.free(h);
    return h;
  }

  /** The finer classes (four per doubling): more caches, the same path. */
  @Benchmark
  public long kmallocQuarterAllocateFree() {
    long h = quarter.allocate(nextSize());
    quarter.free(h);
    return h;
  }

  /** kmalloc with one fixed size (64 B): the cost of the size-class layer alone over the slab pair. */
  @Benchmark
  public long kmallocFixed64AllocateFree() {
    nextSize();
    long h = kmalloc.allocate(Anchors.SIZE);
    kmalloc.free(h);
    return h;
  }

  /** The floor: the fixed-size 64 B slab pair (issue 2's subject), stepping the sizes too. */
  @Benchmark
  public long slabAllocateFree() {
    nextSize();
    long h = slab.allocate();
    slab.free(h);
    return h;
  }

  @Benchmark
  public ByteBuf nettyPooled() {
    ByteBuf b = pooled.directBuffer(nextSize());
    b.release();
    return b;
  }

  @Benchmark
  public ByteBuf nettyAdaptive() {
    ByteBuf b = adaptive.directBuffer(nextSize());
    b.release();
    return b;
  }

  /** Netty pooled on a FastThreadLocal thread (buffer objects recycled), as in {@code AllocPairBenchmark}. */
  @Benchmark
  @OperationsPerInvocation(AllocPairBenchmark.EVENT_LOOP_BATCH)
  public void nettyPooledEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < AllocPairBenchmark.EVENT_LOOP_BATCH; i++) {
            ByteBuf b = pooled.directBuffer(nextSize());
            b.release();
            bh.consume(b);
          }
        });
  }

  /** Netty adaptive on a FastThreadLocal thread, as in {@code AllocPairBenchmark}. */
  @Benchmark
  @OperationsPerInvocation(AllocPairBenchmark.EVENT_LOOP_BATCH)
  public void nettyAdaptiveEventLoop(Blackhole bh) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < AllocPairBenchmark.EVENT_LOOP_BATCH; i++) {
            ByteBuf b = adaptive.directBuffer(nextSize());
            b.release();
            bh.consume(b);
          }
        });
  }
}
