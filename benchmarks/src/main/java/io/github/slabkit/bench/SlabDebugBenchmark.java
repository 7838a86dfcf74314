package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabDebug;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * Issue 6: the cost of slab debugging on the 64-byte alloc+free pair. {@code debug = "-"} is the ordinary fast
 * path (to compare with {@link AllocPairBenchmark#slabAllocateFree} in the same run: debugging off must cost
 * nothing measurable); {@code P} poisoning, {@code Z} red zones, {@code FZP} all checks, {@code FZPU} with
 * tracking of every allocation's stack.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class SlabDebugBenchmark {
  @Param({"-", "P", "Z", "FZP", "FZPU"})
  public String debug = "-";

  private SlabCache cache;

  @Setup(Level.Trial)
  public void setUp() {
    cache = SlabCache.builder("bench-debug").objectSize(Anchors.SIZE).debug(SlabDebug.of(debug)).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.close();
  }

  @Benchmark
  public long allocateFree() {
    long h = cache.allocate();
    cache.free(h);
    return h;
  }
}
