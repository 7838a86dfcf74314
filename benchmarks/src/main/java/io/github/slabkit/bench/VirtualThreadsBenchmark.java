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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 12: {@value #THREADS} virtual threads each churning {@value #PAIRS} allocate+free pairs of 64-byte
 * objects on ONE slab cache. The score is the invocation's wall time divided by all its pairs ({@code
 * THREADS * PAIRS}), so it already shares the work among the carrier threads (one per core): compare it with
 * {@code AllocPairBenchmark.slabAllocateFree} (one platform thread) to see what the virtual-thread path
 * costs, and multiply by the number of carriers for the time one pair takes on one carrier.
 *
 * <ul>
 *   <li>{@link #slabAllocateFree}: the cache's own methods, which on a virtual thread take one of the
 *       cache's striped magazine pairs with a try-lock (a CAS and a release store per call);
 *   <li>{@link #slabLocalAllocateFree}: each virtual thread takes a {@link SlabLocal}, which owns a pair of
 *       its own; the difference between the two is what the stripes cost.
 * </ul>
 * Starting the {@value #THREADS} threads (a few microseconds) is in the score, amortised over the pairs; so
 * are their few hundred bytes of thread objects (under 0.1 B per pair).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class VirtualThreadsBenchmark {
  static final int THREADS = 64;
  static final int PAIRS = 8192;

  private SlabCache slab;

  @Setup(Level.Trial)
  public void setUp() {
    slab = Anchors.slab("bench-virtual");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    slab.close();
  }

  private static void runAll(Runnable churn) throws InterruptedException {
    Thread[] ts = new Thread[THREADS];
    for (int i = 0; i < THREADS; i++) {
      ts[i] = Thread.ofVirtual().start(churn);
    }
    for (Thread t : ts) {
      t.join();
    }
  }

  @Benchmark
  @OperationsPerInvocation(THREADS * PAIRS)
  public void slabAllocateFree() throws InterruptedException {
    SlabCache c = slab;
    runAll(
        () -> {
          for (int i = 0; i < PAIRS; i++) {
            c.free(c.allocate());
          }
        });
  }

  @Benchmark
  @OperationsPerInvocation(THREADS * PAIRS)
  public void slabLocalAllocateFree() throws InterruptedException {
    SlabCache c = slab;
    runAll(
        () -> {
          try (SlabLocal local = c.local()) {
            for (int i = 0; i < PAIRS; i++) {
              local.free(local.allocate());
            }
          }
        });
  }
}
