package io.github.slabkit.slab;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.internal.HandleTags;
import io.github.slabkit.slab.internal.SlabDebugger;
import java.lang.foreign.MemoryLayout;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link SlabCache}. Every option has a default; only the object size (or a layout) is required.
 * Not thread safe.
 */
public final class SlabCacheBuilder {
  /** Default slab size: 64 KiB, or enough for 8 objects if they are larger. */
  public static final long DEFAULT_SLAB_BYTES = 64 * 1024;

  /** Objects larger than this belong in an {@code Arena}, not a slab cache. */
  public static final long MAX_OBJECT_SIZE = 16L << 20;

  /**
   * The most objects one slab holds, {@value}: a handle names its slot in 24 bits. A {@link #slabSize} that
   * would hold more, or a larger {@link #objectsPerSlab}, is refused by {@link #build()}.
   */
  public static final int MAX_OBJECTS_PER_SLAB = 1 << 24;

  /**
   * The largest slab, {@value} bytes (1 GiB): a slab is mapped and zeroed whole on the first allocation that
   * needs it, so a bigger one is a mistake, not a tuning. {@link #build()} refuses a larger {@link #slabSize}
   * or {@code objectsPerSlab} times the object stride. The default slab of the largest objects ({@value
   * #MAX_OBJECT_SIZE} B, 8 per slab) stays well below.
   */
  public static final long MAX_SLAB_BYTES = 1L << 30;

  final String name;
  long objectSize = -1;
  long alignment = 8;
  boolean cacheLineAligned;
  long slabBytes = -1;
  int objectsPerSlab = -1;
  // Whether the two were set: -1 is a value a caller can pass, which build() must refuse, not take for unset.
  boolean slabBytesSet;
  boolean objectsPerSlabSet;
  @Nullable ObjectConstructor constructor;
  MemoryBudget budget = MemoryBudget.unlimited();
  Duration maxWait = Duration.ofMillis(100);
  int magazineSize = 64;
  int maxEmptySlabs = 2;
  int depotMagazines = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
  boolean throwOnLeak;
  int leakSampling = -1; // -1: the system property's value, else the default
  @Nullable Duration leakAge;
  @Nullable SlabDebug debug;
  SlabRegistry registry = SlabRegistry.global();
  @Nullable Duration trimWhenIdle;
  boolean jmx;

  SlabCacheBuilder(String name) {
    this.name = Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("slab cache name must not be blank");
    }
  }

  /**
   * Sets the object size in bytes. Required unless {@link #layout} is given.
   *
   * @param bytes the size, 1 to {@link #MAX_OBJECT_SIZE}; {@link #build()} refuses others, naming the limit
   * @return this builder
   */
  public SlabCacheBuilder objectSize(long bytes) {
    this.objectSize = bytes;
    return this;
  }

  /**
   * Sets the object size and alignment from a layout.
   *
   * @param layout the object's layout
   * @return this builder
   */
  public SlabCacheBuilder layout(MemoryLayout layout) {
    this.objectSize = layout.byteSize();
    this.alignment = Math.max(alignment, layout.byteAlignment());
    return this;
  }

  /**
   * Sets the object alignment (default 8).
   *
   * @param bytes a power of two
   * @return this builder
   */
  public SlabCacheBuilder alignment(long bytes) {
    this.alignment = bytes;
    return this;
  }

  /**
   * Aligns every object to a 64-byte cache line, so objects used by different threads never share one
   * (the kernel's {@code SLAB_HWCACHE_ALIGN}). Default off.
   *
   * @param on whether to align to cache lines
   * @return this builder
   */
  public SlabCacheBuilder cacheLineAligned(boolean on) {
    this.cacheLineAligned = on;
    return this;
  }

  /**
   * Sets the bytes of one slab (default {@value #DEFAULT_SLAB_BYTES}, at least one object). The slab holds
   * as many objects as fit; {@link #build()} refuses a size below one object, above {@link #MAX_SLAB_BYTES},
   * or one that would hold more than {@link #MAX_OBJECTS_PER_SLAB} objects, naming the limit.
   *
   * @param bytes the slab size, one object's stride to {@link #MAX_SLAB_BYTES}
   * @return this builder
   */
  public SlabCacheBuilder slabSize(long bytes) {
    this.slabBytes = bytes;
    this.slabBytesSet = true;
    return this;
  }

  /**
   * Sets the number of objects in one slab instead of the slab size.
   *
   * @param n objects per slab, 1 to {@link #MAX_OBJECTS_PER_SLAB}, and at most {@link #MAX_SLAB_BYTES} in all
   *     (checked by {@link #build()})
   * @return this builder
   */
  public SlabCacheBuilder objectsPerSlab(int n) {
    this.objectsPerSlab = n;
    this.objectsPerSlabSet = true;
    return this;
  }

  /**
   * Sets a constructor run once per object when its slab is created.
   *
   * @param constructor the constructor
   * @return this builder
   */
  public SlabCacheBuilder constructor(ObjectConstructor constructor) {
    this.constructor = Objects.requireNonNull(constructor, "constructor");
    return this;
  }

  /**
   * Sets the memory budget slabs are charged to (default: unlimited).
   *
   * @param budget the budget
   * @return this builder
   */
  public SlabCacheBuilder budget(MemoryBudget budget) {
    this.budget = Objects.requireNonNull(budget, "budget");
    return this;
  }

  /**
   * Sets how long one {@link SlabCache#allocate()} (or {@code allocateBulk}, {@code prefill}) may wait, after
   * reclaim, for budget credit or for objects coming back to the cache's slabs, in all (default 100 ms).
   * Durations beyond {@link Long#MAX_VALUE} nanoseconds (about 292 years) mean that long.
   *
   * @param wait the wait limit, not negative
   * @return this builder
   */
  public SlabCacheBuilder maxWait(Duration wait) {
    if (wait.isNegative()) {
      throw new IllegalArgumentException(name + ": maxWait must not be negative, was " + wait);
    }
    this.maxWait = wait;
    return this;
  }

  /**
   * Sets the number of handles in one magazine (default 64). Larger magazines visit the depot less often
   * but hold more idle objects per thread.
   *
   * @param n handles per magazine, 1 to 4096
   * @return this builder
   */
  public SlabCacheBuilder magazineSize(int n) {
    this.magazineSize = n;
    return this;
  }

  /**
   * Sets how many empty slabs are kept for reuse before further ones go back to the OS (default 2).
   *
   * @param n the number kept, at least 0
   * @return this builder
   */
  public SlabCacheBuilder maxEmptySlabs(int n) {
    this.maxEmptySlabs = n;
    return this;
  }

  /**
   * Sets how many full magazines the depot holds (default max(16, 4 x CPUs)).
   *
   * @param n depot capacity in magazines, at least 2
   * @return this builder
   */
  public SlabCacheBuilder depotMagazines(int n) {
    this.depotMagazines = n;
    return this;
  }

  /**
   * Makes {@link SlabCache#close()} throw {@link IllegalStateException} when objects leaked (default off:
   * it reports them through {@link System.Logger}). Tests turn it on.
   *
   * @param on whether to throw
   * @return this builder
   */
  public SlabCacheBuilder throwOnLeak(boolean on) {
    this.throwOnLeak = on;
    return this;
  }

  /**
   * Sets the sampling interval of the production leak detector (Netty's {@code ResourceLeakDetector} idea):
   * about one allocation in {@code interval} records its allocation site (the caller's stack, up to 16
   * frames; the interval is drawn at random around this mean so a periodic pattern cannot dodge it), and the
   * record is dropped when the object is freed. The sampled objects still live are reported, with their
   * sites, at {@link SlabCache#close()} and, with {@link #leakAge(Duration)}, once they outlive that age;
   * {@link SlabCache#sampledLiveObjects()} lists them at any time.
   *
   * <p>Default: off, unless the system property {@value #LEAK_SAMPLING_PROPERTY} is set, to an interval or
   * to {@code on} (which means {@value #DEFAULT_LEAK_SAMPLING}): {@code -Dslabkit.leak_sampling=on} turns it on
   * for every cache that does not set it itself. It is off by default because a sampled allocation allocates
   * its record (the stack frames, about 1 to 2 KB), and the allocation paths of this library otherwise
   * allocate nothing; at the recommended {@value #DEFAULT_LEAK_SAMPLING} that is about 0.1 B per allocation.
   *
   * <p>Cost: a countdown in the thread's magazines on each allocation (paid whether sampling is on or off)
   * and a compare of the side-table mark it reads anyway on each free; a sampled allocation walks the stack
   * (2 to 4 µs, about 0.2 ns per allocation at the recommended rate). Most of what sampling costs is not the
   * sample but the JIT's view of it: with sampling on, the calls to the sampler are compiled into the
   * allocation and free paths, and code that allocates and frees in a tight loop loses optimizations the
   * JIT makes while those calls never run. Measured at the recommended rate on 64-byte objects: +1.3 to +3.3
   * ns on an allocate/free pair, +6.8 to +10.6 ns per pair in a loop of 64 allocations then 64 frees, and
   * +3.1 ns per pair in a loop of 256 that exchanges magazines with the depot (BENCHMARKS.md, {@code
   * LeakSamplingBenchmark}). Debug
   * mode ({@link SlabDebug}, flag U) tracks every object instead, and turns sampling off. Allocations of
   * virtual threads that find no free stripe go straight to the slabs and are not sampled.
   *
   * @param interval allocations per sample on average, at least 1 (1 samples every allocation); 0 turns it off
   * @return this builder
   */
  public SlabCacheBuilder leakSampling(int interval) {
    if (interval < 0) {
      throw new IllegalArgumentException(
          name + ": leakSampling interval must be 0 (off) or positive, was " + interval);
    }
    this.leakSampling = interval;
    return this;
  }

  /**
   * Reports a sampled object ({@link #leakSampling(int)}) that is still live this long after its allocation:
   * once, through {@link System.Logger} ({@code WARNING}, {@code LEAK? <name>: ...} with the allocation
   * site) and a JFR {@code io.github.slabkit.LeakSuspect} event. One shared daemon thread checks, every half
   * age (at least every 10 ms, at most every second). Default: none, only {@link SlabCache#close()} reports.
   * Pick an age longer than any legitimate lifetime of the cache's objects: a long-lived object is reported
   * too, which is the point of the age.
   *
   * @param age the age, positive
   * @return this builder
   */
  public SlabCacheBuilder leakAge(Duration age) {
    if (age.isZero() || age.isNegative()) {
      throw new IllegalArgumentException(name + ": leakAge must be positive, was " + age);
    }
    this.leakAge = age;
    return this;
  }

  /** The recommended {@link #leakSampling(int)} interval, and the one {@code -Dslabkit.leak_sampling=on} sets. */
  public static final int DEFAULT_LEAK_SAMPLING = 16384;

  /**
   * The system property that sets the {@link #leakSampling(int)} interval of caches that do not set it: a
   * number ({@code 0}: off) or {@code on} ({@value #DEFAULT_LEAK_SAMPLING}).
   */
  public static final String LEAK_SAMPLING_PROPERTY = "slabkit.leak_sampling";

  /** The interval in force: the builder's, else the property's, else the default. */
  int leakSamplingInForce() {
    if (leakSampling >= 0) {
      return leakSampling;
    }
    String v = System.getProperty(LEAK_SAMPLING_PROPERTY);
    if (v == null || v.isBlank()) {
      return 0;
    }
    if (v.strip().equalsIgnoreCase("on")) {
      return DEFAULT_LEAK_SAMPLING;
    }
    try {
      int n = Integer.parseInt(v.strip());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "slab cache '" + name + "': system property " + LEAK_SAMPLING_PROPERTY + "=\"" + v
            + "\" is not a sampling interval; use on, 0 (off) or a positive number of allocations per sample");
  }

  /**
   * Sets the registry the cache joins, for slabinfo tables (default {@link SlabRegistry#global()}).
   *
   * @param registry the registry
   * @return this builder
   */
  public SlabCacheBuilder registry(SlabRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Trims the cache ({@link SlabCache#trim()}) whenever a whole period passes with no allocation or free
   * (default: never; one shared daemon thread runs the checks). {@link SlabCache#close()} waits for a
   * trim in flight. Periods beyond {@link Long#MAX_VALUE} nanoseconds mean that long.
   *
   * @param period the idle period, positive
   * @return this builder
   */
  public SlabCacheBuilder trimWhenIdle(Duration period) {
    if (period.isZero() || period.isNegative()) {
      throw new IllegalArgumentException(name + ": trimWhenIdle period must be positive, was " + period);
    }
    this.trimWhenIdle = period;
    return this;
  }

  /**
   * Registers the cache's {@link SlabCacheMXBean} when built (default off).
   *
   * @param on whether to register
   * @return this builder
   */
  public SlabCacheBuilder jmx(boolean on) {
    this.jmx = on;
    return this;
  }

  /**
   * Sets the debugging options (default: those of the system property {@value SlabDebug#PROPERTY} for
   * this cache's name, else off).
   *
   * @param debug the options
   * @return this builder
   */
  public SlabCacheBuilder debug(SlabDebug debug) {
    this.debug = Objects.requireNonNull(debug, "debug");
    return this;
  }

  /**
   * Creates the cache. No slab is allocated until the first allocation.
   *
   * @return the cache
   * @throws IllegalArgumentException naming the bad option if the options are inconsistent
   * @throws IllegalStateException if 65,535 caches are open (handles name their cache in 16 bits, so no
   *     more can be told apart; a cache closed with leaked objects stays counted), or if {@code jmx(true)}
   *     and an open cache already registered the name; nothing is registered or charged then
   */
  public SlabCache build() {
    String p = "slab cache '" + name + "': ";
    if (objectSize == -1) {
      throw new IllegalArgumentException(p + "set objectSize(bytes) or layout(layout)");
    }
    if (objectSize <= 0) {
      throw new IllegalArgumentException(
          p + "object size must be positive (1 to " + MAX_OBJECT_SIZE + " B), was " + objectSize);
    }
    if (objectSize > MAX_OBJECT_SIZE) {
      throw new IllegalArgumentException(
          p + "object size " + objectSize + " B exceeds " + MAX_OBJECT_SIZE
              + " B; allocate large objects from an Arena instead");
    }
    if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > 4096) {
      throw new IllegalArgumentException(
          p + "alignment must be a power of two up to 4096, was " + alignment);
    }
    long align = cacheLineAligned ? Math.max(alignment, 64) : alignment;
    SlabDebug dbg = debug;
    if (dbg == null) {
      dbg = Objects.requireNonNullElse(SlabDebug.fromSystemProperty(name), SlabDebug.off());
    }
    long left = SlabDebugger.leftRedZone(dbg, align);
    long unaligned = left + objectSize + SlabDebugger.rightRedZone(dbg);
    long stride = (unaligned + align - 1) & -align;
    int perSlab;
    if (objectsPerSlabSet) {
      if (objectsPerSlab < 1 || objectsPerSlab > MAX_OBJECTS_PER_SLAB) {
        throw new IllegalArgumentException(
            p + "objectsPerSlab must be 1 to " + MAX_OBJECTS_PER_SLAB + ", was " + objectsPerSlab);
      }
      if ((long) objectsPerSlab * stride > MAX_SLAB_BYTES) { // stride <= 16 MiB + 8 KiB: no overflow
        throw new IllegalArgumentException(
            p + "objectsPerSlab " + objectsPerSlab + " of " + stride + " B each make a slab of "
                + (long) objectsPerSlab * stride + " B, above the limit of " + MAX_SLAB_BYTES
                + " B (SlabCacheBuilder.MAX_SLAB_BYTES); use at most " + MAX_SLAB_BYTES / stride
                + " objects per slab");
      }
      perSlab = objectsPerSlab;
    } else if (slabBytesSet) {
      if (slabBytes < stride) {
        throw new IllegalArgumentException(
            p + "slab size " + slabBytes + " B is smaller than one object (" + stride + " B)");
      }
      if (slabBytes > MAX_SLAB_BYTES) {
        throw new IllegalArgumentException(
            p + "slab size " + slabBytes + " B exceeds the limit of " + MAX_SLAB_BYTES
                + " B (SlabCacheBuilder.MAX_SLAB_BYTES); a slab is mapped and zeroed whole, use a smaller"
                + " slab size");
      }
      if (slabBytes / stride > MAX_OBJECTS_PER_SLAB) {
        throw new IllegalArgumentException(
            p + "slab size " + slabBytes + " B would hold " + slabBytes / stride + " objects of " + stride
                + " B, above the limit of " + MAX_OBJECTS_PER_SLAB
                + " objects per slab (SlabCacheBuilder.MAX_OBJECTS_PER_SLAB); use at most "
                + (long) MAX_OBJECTS_PER_SLAB * stride + " B");
      }
      perSlab = (int) (slabBytes / stride);
    } else {
      perSlab = (int) Math.max(8, DEFAULT_SLAB_BYTES / stride);
    }
    if (stride * perSlab > budget.limit()) {
      throw new IllegalArgumentException(
          p + "one slab (" + stride * perSlab + " B) is larger than the budget '" + budget.name()
              + "' (" + budget.limit() + " B); use smaller slabs or a larger budget");
    }
    if (magazineSize < 1 || magazineSize > 4096) {
      throw new IllegalArgumentException(p + "magazineSize must be 1 to 4096, was " + magazineSize);
    }
    if (maxEmptySlabs < 0) {
      throw new IllegalArgumentException(p + "maxEmptySlabs must not be negative");
    }
    if (depotMagazines < 2) {
      throw new IllegalArgumentException(p + "depotMagazines must be at least 2");
    }
    int sampling = leakSamplingInForce();
    HandleTags tags = HandleTags.global();
    int tag = tags.acquire(name);
    try {
      return new SlabCache(this, dbg, tags, tag, stride, left, perSlab, Math.max(align, 8), sampling);
    } catch (RuntimeException | Error e) {
      tags.release(tag);
      throw e;
    }
  }
}
