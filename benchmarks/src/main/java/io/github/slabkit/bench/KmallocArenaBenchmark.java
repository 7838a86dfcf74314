package io.github.slabkit.bench;

import io.github.slabkit.kmalloc.Kmalloc;
import java.lang.foreign.Arena;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Issue 14: a confined scope that allocates 8 segments of random size ({@link SizeMix}) and closes, with the
 * kmalloc arena (zeroed like the JDK's, and not zeroed) against {@code Arena.ofConfined()} and
 * {@code Arena.ofShared()}. One operation is the whole scope. The segment sum goes to the blackhole.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class KmallocArenaBenchmark {
  static final int SEGMENTS = 8;

  private int[] sizes;
  private int next;
  private Kmalloc kmalloc;

  @Setup(Level.Trial)
  public void setUp() {
    sizes = SizeMix.sizes(14);
    kmalloc = Kmalloc.builder().name("bench-arena").build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    kmalloc.close();
  }

  private void fill(Arena arena, Blackhole bh) {
    int i = next;
    for (int s = 0; s < SEGMENTS; s++) {
      bh.consume(arena.allocate(sizes[i]));
      i = (i + 1) & (SizeMix.COUNT - 1);
    }
    next = i;
  }

  @Benchmark
  public void kmallocArena(Blackhole bh) {
    try (Arena arena = kmalloc.newArena()) {
      fill(arena, bh);
    }
  }

  @Benchmark
  public void kmallocArenaNotZeroed(Blackhole bh) {
    try (Arena arena = kmalloc.newArena(false)) {
      fill(arena, bh);
    }
  }

  @Benchmark
  public void arenaOfConfined(Blackhole bh) {
    try (Arena arena = Arena.ofConfined()) {
      fill(arena, bh);
    }
  }

  @Benchmark
  public void arenaOfShared(Blackhole bh) {
    try (Arena arena = Arena.ofShared()) {
      fill(arena, bh);
    }
  }
}
