package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
import org.openjdk.jmh.infra.Control;

/**
 * Issue 2: allocate on one thread, free on another. The producer allocates 64-byte objects and hands them
 * through a bounded SPSC ring (1024 slots; {@link LongSpscRing} for handles, {@link RefSpscRing} for Netty
 * buffers: the same algorithm) to the consumer, which frees them. Both sides work in batches of
 * {@value #BATCH}; the score of the producer method is pairs per microsecond (the group's total counts
 * each pair twice). A side that waits on the ring spins briefly, then yields ({@link #backOff}), and gives up when JMH
 * ends the iteration.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--enable-native-access=ALL-UNNAMED",
      "--sun-misc-unsafe-memory-access=allow",
      "-Dio.netty.leakDetection.level=disabled"
    })
public class ProducerConsumerBenchmark {
  static final int BATCH = 1024;
  static final int RING = 1024;
  static final int EL_BATCHES = 8;

  /** Slab cache and its handle ring, one per group. */
  @State(Scope.Group)
  public static class SlabPipe {
    SlabCache slab;
    LongSpscRing ring;

    @Setup(Level.Trial)
    public void setUp() {
      slab = Anchors.slab("bench-pc");
      ring = new LongSpscRing(RING);
    }

    @TearDown(Level.Iteration)
    public void drain() {
      for (long h = ring.poll(); h != 0; h = ring.poll()) {
        slab.free(h);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      drain();
      slab.close();
    }
  }

  /** Netty pooled allocator and its buffer ring, one per group. */
  @State(Scope.Group)
  public static class NettyPipe {
    ByteBufAllocator pooled;
    RefSpscRing<ByteBuf> ring;

    @Setup(Level.Trial)
    public void setUp() {
      pooled = Anchors.nettyPooled();
      ring = new RefSpscRing<>(RING);
    }

    @TearDown(Level.Iteration)
    public void drain() {
      for (ByteBuf b = ring.poll(); b != null; b = ring.poll()) {
        b.release();
      }
    }
  }

  @Benchmark
  @Group("slab")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH)
  public void slabProducer(SlabPipe p, Control control) {
    for (int i = 0; i < BATCH; i++) {
      long h = p.slab.allocate();
      int spins = 0;
      while (!p.ring.offer(h)) {
        if (control.stopMeasurement) {
          p.slab.free(h);
          return;
        }
        backOff(++spins);
      }
    }
  }

  @Benchmark
  @Group("slab")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH)
  public void slabConsumer(SlabPipe p, Control control) {
    for (int i = 0; i < BATCH; i++) {
      long h;
      int spins = 0;
      while ((h = p.ring.poll()) == 0) {
        if (control.stopMeasurement) {
          return;
        }
        backOff(++spins);
      }
      p.slab.free(h);
    }
  }

  @Benchmark
  @Group("nettyPooled")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH)
  public void nettyProducer(NettyPipe p, Control control) {
    produce(p, control);
  }

  @Benchmark
  @Group("nettyPooled")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH)
  public void nettyConsumer(NettyPipe p, Control control) {
    consume(p, control);
  }

  /**
   * Both sides as Netty event-loop threads (see {@link AllocPairBenchmark#nettyPooledEventLoop}), 8
   * batches per FastThreadLocal section so that dropping the thread cache at its end is amortised.
   */
  @Benchmark
  @Group("nettyPooledEventLoop")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH * EL_BATCHES)
  public void nettyElProducer(NettyPipe p, Control control) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < EL_BATCHES; i++) {
            produce(p, control);
          }
        });
  }

  @Benchmark
  @Group("nettyPooledEventLoop")
  @GroupThreads(1)
  @OperationsPerInvocation(BATCH * EL_BATCHES)
  public void nettyElConsumer(NettyPipe p, Control control) {
    FastThreadLocalThread.runWithFastThreadLocal(
        () -> {
          for (int i = 0; i < EL_BATCHES; i++) {
            consume(p, control);
          }
        });
  }

  /**
   * Waiting on the ring: spin briefly, then yield, so that on a machine with more runnable threads than
   * cores (2 shared cores here) a waiting side gives its core to the other side instead of burning its
   * time slice. The same for every allocator.
   */
  @SuppressWarnings("ThreadPriorityCheck") // yielding to the other side is the point on 2 shared cores
  static void backOff(int spins) {
    if (spins < 64) {
      Thread.onSpinWait();
    } else {
      Thread.yield();
    }
  }

  private static void produce(NettyPipe p, Control control) {
    for (int i = 0; i < BATCH; i++) {
      ByteBuf b = p.pooled.directBuffer(Anchors.SIZE);
      int spins = 0;
      while (!p.ring.offer(b)) {
        if (control.stopMeasurement) {
          b.release();
          return;
        }
        backOff(++spins);
      }
    }
  }

  private static void consume(NettyPipe p, Control control) {
    for (int i = 0; i < BATCH; i++) {
      ByteBuf b;
      int spins = 0;
      while ((b = p.ring.poll()) == null) {
        if (control.stopMeasurement) {
          return;
        }
        backOff(++spins);
      }
      b.release();
    }
  }
}
