package io.github.slabkit.kmalloc;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabDebug;
import io.github.slabkit.slab.SlabRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link Kmalloc}. Every option has a default; {@code Kmalloc.builder().build()} gives the kernel's
 * classes up to 8 KiB over an unlimited budget. Not thread safe.
 */
public final class KmallocBuilder {
  /** Default largest size class: 8 KiB, as the kernel's kmalloc-8k. */
  public static final long DEFAULT_MAX_CLASS_SIZE = 8 * 1024;

  /** Default largest request: 1 GiB. */
  public static final long DEFAULT_MAX_REQUEST = 1L << 30;

  /** Default sampling of requested sizes: one allocation in 64. */
  public static final int DEFAULT_SAMPLING_INTERVAL = 64;

  String name = "kmalloc";
  SizeClassScheme scheme = SizeClassScheme.KERNEL;
  long maxClassSize = DEFAULT_MAX_CLASS_SIZE;
  long maxRequest = DEFAULT_MAX_REQUEST;
  MemoryBudget budget = MemoryBudget.unlimited();
  Duration maxWait = Duration.ofMillis(100);
  @Nullable SlabDebug debug;
  final Map<Long, SlabDebug> classDebug = new HashMap<>();
  SlabRegistry registry = SlabRegistry.global();
  int samplingInterval = DEFAULT_SAMPLING_INTERVAL;
  boolean throwOnLeak;

  KmallocBuilder() {}

  /**
   * Sets the name (default {@code kmalloc}); class caches are named {@code <name>-64}, {@code <name>-1k}.
   *
   * @param name the name, not blank
   * @return this builder
   */
  public KmallocBuilder name(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("kmalloc name must not be blank");
    }
    this.name = name;
    return this;
  }

  /**
   * Sets the spacing of the size classes (default {@link SizeClassScheme#KERNEL}).
   *
   * @param scheme the scheme
   * @return this builder
   */
  public KmallocBuilder sizeClasses(SizeClassScheme scheme) {
    this.scheme = Objects.requireNonNull(scheme, "scheme");
    return this;
  }

  /**
   * Sets the largest size class (default {@value #DEFAULT_MAX_CLASS_SIZE}); larger requests get their own
   * allocation of whole pages.
   *
   * @param bytes a power of two from 256 B to 4 MiB
   * @return this builder
   */
  public KmallocBuilder maxClassSize(long bytes) {
    this.maxClassSize = bytes;
    return this;
  }

  /**
   * Sets the largest request accepted (default {@value #DEFAULT_MAX_REQUEST}); a larger one is an {@link
   * IllegalArgumentException}, not an attempt.
   *
   * @param bytes the limit, at least the largest class
   * @return this builder
   */
  public KmallocBuilder maxRequestSize(long bytes) {
    this.maxRequest = bytes;
    return this;
  }

  /**
   * Sets the budget every class cache and every large allocation is charged to (default: unlimited).
   *
   * @param budget the budget
   * @return this builder
   */
  public KmallocBuilder budget(MemoryBudget budget) {
    this.budget = Objects.requireNonNull(budget, "budget");
    return this;
  }

  /**
   * Sets how long a blocking allocation waits for budget credit after reclaim (default 100 ms), for the
   * class caches and large allocations alike.
   *
   * @param wait the wait limit, not negative
   * @return this builder
   */
  public KmallocBuilder maxWait(Duration wait) {
    if (wait.isNegative()) {
      throw new IllegalArgumentException(name + ": maxWait must not be negative, was " + wait);
    }
    this.maxWait = wait;
    return this;
  }

  /**
   * Sets the debugging options of every class (default: the system property {@value SlabDebug#PROPERTY}
   * read per class cache name, e.g. {@code -Dslabkit.slab_debug=FZPU,kmalloc-64}).
   *
   * @param debug the options
   * @return this builder
   */
  public KmallocBuilder debug(SlabDebug debug) {
    this.debug = Objects.requireNonNull(debug, "debug");
    return this;
  }

  /**
   * Sets the debugging options of one class, overriding {@link #debug(SlabDebug)} for it.
   *
   * @param classSize the size of an existing class, e.g. 64
   * @param debug the options
   * @return this builder
   */
  public KmallocBuilder debug(long classSize, SlabDebug debug) {
    classDebug.put(classSize, Objects.requireNonNull(debug, "debug"));
    return this;
  }

  /**
   * Sets the registry the class caches join, for slabinfo (default {@link SlabRegistry#global()}).
   *
   * @param registry the registry
   * @return this builder
   */
  public KmallocBuilder registry(SlabRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Counts the requested size of one allocation in {@code interval} (default {@value
   * #DEFAULT_SAMPLING_INTERVAL}); 1 counts every allocation, exactly, at the cost of two shared counter
   * updates per allocation.
   *
   * @param interval a power of two from 1 to 2^20
   * @return this builder
   */
  public KmallocBuilder requestSampling(int interval) {
    if (interval < 1 || interval > (1 << 20) || Integer.bitCount(interval) != 1) {
      throw new IllegalArgumentException(
          name + ": request sampling interval must be a power of two from 1 to 2^20, was " + interval);
    }
    this.samplingInterval = interval;
    return this;
  }

  /**
   * Makes {@link Kmalloc#close()} throw {@link IllegalStateException} when objects are still allocated
   * (default off: they are reported through {@link System.Logger}). Tests turn it on.
   *
   * @param on whether to throw
   * @return this builder
   */
  public KmallocBuilder throwOnLeak(boolean on) {
    this.throwOnLeak = on;
    return this;
  }

  /**
   * Creates the allocator and its class caches (no slab is allocated until the first allocation).
   *
   * @return the allocator
   * @throws IllegalArgumentException naming the bad option
   */
  public Kmalloc build() {
    if (maxRequest < maxClassSize) {
      throw new IllegalArgumentException(
          name + ": maxRequestSize " + maxRequest + " B is below the largest class (" + maxClassSize + " B)");
    }
    return new Kmalloc(this);
  }
}
