package io.github.slabkit.bench;

import io.github.slabkit.micrometer.SlabkitMetrics;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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

/**
 * Issue 15: the cost of the Micrometer binder. Its meters are read when a registry is scraped, never on the
 * allocation path: {@code allocateFreeBound} (the pair with a bound binder) must equal {@code allocateFree}
 * (without one) of the same run. {@code scrape} reads every meter of one slab cache and one mempool (31
 * meters), as a Prometheus scrape or a push step would.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MicrometerBenchmark {

  /** A cache and a pool, with or without a binder bound to a registry. */
  @State(Scope.Thread)
  public static class Caches {
    SlabCache cache;
    Mempool pool;
    SimpleMeterRegistry registry;
    Meter[] meters;

    void open(boolean bind) {
      SlabRegistry caches = new SlabRegistry();
      cache = SlabCache.builder("bench-micrometer").objectSize(Anchors.SIZE).registry(caches).build();
      pool = Mempool.builder("bench-micrometer-pool", cache).minNr(16).build();
      registry = new SimpleMeterRegistry();
      if (bind) {
        new SlabkitMetrics(caches, pool).bindTo(registry);
      }
      meters = registry.getMeters().toArray(new Meter[0]);
    }

    @TearDown(Level.Trial)
    public void close() {
      pool.close();
      cache.close();
    }
  }

  /** Without a binder. */
  @State(Scope.Thread)
  public static class Unbound extends Caches {
    @Setup(Level.Trial)
    public void setUp() {
      open(false);
    }
  }

  /** With a binder bound to a registry. */
  @State(Scope.Thread)
  public static class Bound extends Caches {
    @Setup(Level.Trial)
    public void setUp() {
      open(true);
    }
  }

  @Benchmark
  public long allocateFree(Unbound s) {
    long h = s.cache.allocate();
    s.cache.free(h);
    return h;
  }

  @Benchmark
  public long allocateFreeBound(Bound s) {
    long h = s.cache.allocate();
    s.cache.free(h);
    return h;
  }

  @Benchmark
  public double scrape(Bound s) {
    double sum = 0;
    for (Meter m : s.meters) {
      if (m instanceof Gauge g) {
        sum += g.value();
      } else if (m instanceof FunctionCounter c) {
        sum += c.count();
      } else {
        for (var measurement : m.measure()) {
          sum += measurement.getValue();
        }
      }
    }
    return sum;
  }
}
