package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabLocal;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 15: what the production leak detector costs on the 64-byte pair. {@code leakSampling=0} is off
 * (the per-thread countdown still runs: it is what every cache pays); {@code 16384} is the recommended rate
 * ({@code -Dslabkit.leak_sampling=on}), where one allocation in 16,384 on average walks the stack and records
 * its site; {@code 1024} shows how the cost scales with the rate.
 *
 * <p>The pairs are what issue 15 measures, and they flatter "off": C2 compiles an allocation and the free
 * right after it together, and with no sample ever taken it folds the free's reads of the magazine and the
 * ownership mark into the allocation's stores. Once samples are taken, the call to the sampler is a real
 * branch in that code, and a call may change any memory as far as the JIT knows, so the free reloads
 * everything (seen in the pair's compiled loop: about twenty more loads). Moving the call before the
 * allocation's stores does not help, because the benchmark's own field reads precede it. The batch shapes
 * (64 allocations, then 64 frees, score per pair) have no such fusion, with or without sampling: what code
 * that does work between an allocation and its free pays.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class LeakSamplingBenchmark {
  @Param({"0", "1024", "16384"})
  int leakSampling;

  private SlabCache slab;
  private SlabLocal local;

  @Setup(Level.Trial)
  @SuppressWarnings("MustBeClosedChecker") // closed in tearDown(): JMH owns the lifecycle
  public void setUp() {
    slab = SlabCache.builder("bench-leak-" + leakSampling).objectSize(Anchors.SIZE).leakSampling(leakSampling).build();
    local = slab.local();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    local.close();
    slab.close();
  }

  @Benchmark
  public long slabAllocateFree() {
    long h = slab.allocate();
    slab.free(h);
    return h;
  }

  @Benchmark
  public long slabLocalAllocateFree() {
    long h = local.allocate();
    local.free(h);
    return h;
  }

  static final int BATCH = 64;
  private final long[] handles = new long[BATCH];

  /** 64 allocations, then 64 frees, through the cache; score per pair. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabBatchAllocateFree() {
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
   * Four magazines' worth (256 with the default magazine of 64), then 256 frees, through the cache; score per
   * pair. The batch outgrows the thread's two magazines, so the depot's slow path runs in every invocation,
   * and its call is compiled in whether sampling is on or off: the shape of a program whose magazines are
   * ever exchanged.
   */
  @Benchmark
  @OperationsPerInvocation(LARGE_BATCH)
  public long slabLargeBatchAllocateFree() {
    long[] h = largeHandles;
    for (int i = 0; i < LARGE_BATCH; i++) {
      h[i] = slab.allocate();
    }
    for (int i = 0; i < LARGE_BATCH; i++) {
      slab.free(h[i]);
    }
    return h[LARGE_BATCH - 1];
  }

  static final int LARGE_BATCH = 256;
  private final long[] largeHandles = new long[LARGE_BATCH];

  /** {@link #slabBatchAllocateFree()} through the thread's context. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long slabLocalBatchAllocateFree() {
    long[] h = handles;
    for (int i = 0; i < BATCH; i++) {
      h[i] = local.allocate();
    }
    for (int i = 0; i < BATCH; i++) {
      local.free(h[i]);
    }
    return h[BATCH - 1];
  }
}
