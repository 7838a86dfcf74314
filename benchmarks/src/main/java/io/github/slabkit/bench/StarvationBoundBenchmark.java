package io.github.slabkit.bench;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.mempool.ReservationDomain;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 10: the starvation bound, measured. One thread acquires a reservation of a pool's whole reserve
 * (8 objects) and closes it; another thread streams single-object allocations and frees on the same pool,
 * so the reserve is almost never full. The backing slab cache is exhausted: everything comes from the
 * reserve. Work conservation alone would let the stream starve the whole-reserve demand; the claim taken
 * after one claim window bounds its wait. Sample mode reports the distribution of the whole-reserve
 * acquisition time (and the stream's pair time beside it), for claim windows of 1 and 10 ms.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class StarvationBoundBenchmark {
  static final int MIN_NR = 8;

  /** One pool over an exhausted slab cache, in a domain with the given claim window. */
  @State(Scope.Group)
  public static class Pool {
    @Param({"1", "10"})
    public int claimWindowMs;

    SlabCache slab;
    Mempool pool;
    Reservation whole;
    final List<Long> held = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      slab =
          SlabCache.builder("bench-starve")
              .objectSize(Anchors.SIZE)
              .budget(MemoryBudget.ofBytes("bench-starve", 64 * 1024))
              .maxWait(Duration.ofMillis(1))
              .build();
      pool =
          Mempool.builder("bench-starve", slab)
              .minNr(MIN_NR)
              .domain(ReservationDomain.create("bench-starve", Duration.ofMillis(claimWindowMs)))
              .build();
      for (long h = slab.tryAllocate(); h != 0; h = slab.tryAllocate()) {
        held.add(h);
      }
      whole = Reservation.of(pool, MIN_NR).build();
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

  /** The whole-reserve demand: acquire all 8 objects, then give them back. */
  @Benchmark
  @Group("starve")
  @GroupThreads(1)
  public void wholeReserve(Pool p) {
    p.whole.reacquire();
    p.whole.close();
  }

  /** The stream: one object at a time, allocated and freed at once. */
  @Benchmark
  @Group("starve")
  @GroupThreads(1)
  public long stream(Pool p) {
    long h = p.pool.allocate();
    p.pool.free(h);
    return h;
  }
}
