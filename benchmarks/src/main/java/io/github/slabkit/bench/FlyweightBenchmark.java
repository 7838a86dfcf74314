package io.github.slabkit.bench;

import io.github.slabkit.allocator.Flyweight;
import io.github.slabkit.allocator.IntField;
import io.github.slabkit.allocator.LongField;
import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
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
 * Issue 15: the cost of the {@link Flyweight} against the plain layout-{@code VarHandle} path. Each operation
 * visits the next of 1024 live 24-byte objects, reads {@code start} and {@code end} and writes {@code bits}:
 * <ul>
 *   <li>{@code varHandle}: {@code VH.get(cache.memory(h), cache.offset(h))} for each access, as the docs
 *       showed until now (the anchor the flyweight must match);
 *   <li>{@code varHandleHoisted}: the same with {@code memory(h)} and {@code offset(h)} resolved once;
 *   <li>{@code flyweight}: {@code view.wrap(h)}, then {@code START.get(view)} ...;
 *   <li>{@code segmentSlice}: {@code cache.segment(h).get(...)}, the convenient path that allocates a slice
 *       (the garbage anchor: {@code -prof gc} must show its B/op and 0 for the others).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class FlyweightBenchmark {
  static final StructLayout NODE =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_LONG.withName("start"),
          ValueLayout.JAVA_LONG.withName("end"),
          ValueLayout.JAVA_INT.withName("bits"),
          MemoryLayout.paddingLayout(4));
  static final VarHandle START_VH = NODE.varHandle(MemoryLayout.PathElement.groupElement("start"));
  static final VarHandle END_VH = NODE.varHandle(MemoryLayout.PathElement.groupElement("end"));
  static final VarHandle BITS_VH = NODE.varHandle(MemoryLayout.PathElement.groupElement("bits"));
  static final LongField START = LongField.of(NODE, "start");
  static final LongField END = LongField.of(NODE, "end");
  static final IntField BITS = IntField.of(NODE, "bits");

  private static final int OBJECTS = 1024;

  private SlabCache cache;
  private Flyweight view;
  private final long[] handles = new long[OBJECTS];
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    cache = SlabCache.builder("bench-flyweight").layout(NODE).build();
    view = new Flyweight(NODE, cache);
    for (int i = 0; i < OBJECTS; i++) {
      handles[i] = cache.allocate();
      view.wrap(handles[i]);
      START.set(view, i * 4096L);
      END.set(view, i * 4096L + 4095);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.freeBulk(handles, OBJECTS);
    cache.close();
  }

  private long nextHandle() {
    return handles[next++ & (OBJECTS - 1)];
  }

  @Benchmark
  public long varHandle() {
    long h = nextHandle();
    long start = (long) START_VH.get(cache.memory(h), cache.offset(h));
    long end = (long) END_VH.get(cache.memory(h), cache.offset(h));
    BITS_VH.set(cache.memory(h), cache.offset(h), (int) (end - start));
    return start;
  }

  @Benchmark
  public long varHandleHoisted() {
    long h = nextHandle();
    MemorySegment m = cache.memory(h);
    long o = cache.offset(h);
    long start = (long) START_VH.get(m, o);
    long end = (long) END_VH.get(m, o);
    BITS_VH.set(m, o, (int) (end - start));
    return start;
  }

  @Benchmark
  public long flyweight() {
    Flyweight v = view.wrap(nextHandle());
    long start = START.get(v);
    long end = END.get(v);
    BITS.set(v, (int) (end - start));
    return start;
  }

  @Benchmark
  public long segmentSlice() {
    MemorySegment s = cache.segment(nextHandle());
    long start = s.get(ValueLayout.JAVA_LONG, 0);
    long end = s.get(ValueLayout.JAVA_LONG, 8);
    s.set(ValueLayout.JAVA_INT, 16, (int) (end - start));
    return start;
  }
}
