package io.github.slabkit.kmalloc.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts requested bytes per size class, for the requested-versus-usable statistics.
 *
 * <p>A shared counter updated on every allocation would cost an atomic instruction on the fast path (as much
 * as the rest of the allocation). So by default one allocation in {@code interval}, chosen with the thread's
 * {@link ThreadLocalRandom} (a field of the current thread, no shared write), adds its request to two
 * {@link LongAdder}s; with interval 1 every allocation is counted and the numbers are exact. The ratio of
 * the sampled sums estimates the class's internal fragmentation without bias: the sample does not depend on
 * the size.
 */
public final class RequestSampler {
  private final int mask;
  private final LongAdder[] samples;
  private final LongAdder[] requestedBytes;

  /**
   * Creates counters for {@code classes} classes.
   *
   * @param classes the number of classes
   * @param interval sample one allocation in this many: a power of two, 1 for exact counts
   */
  public RequestSampler(int classes, int interval) {
    if (interval < 1 || Integer.bitCount(interval) != 1) {
      throw new IllegalArgumentException("sampling interval must be a power of two, was " + interval);
    }
    this.mask = interval - 1;
    this.samples = new LongAdder[classes];
    this.requestedBytes = new LongAdder[classes];
    for (int c = 0; c < classes; c++) {
      samples[c] = new LongAdder();
      requestedBytes[c] = new LongAdder();
    }
  }

  /**
   * Records one allocation of {@code size} bytes in class {@code c}, if it is sampled.
   *
   * @param c the class
   * @param size the requested bytes
   */
  public void record(int c, long size) {
    if (mask == 0 || (ThreadLocalRandom.current().nextInt() & mask) == 0) {
      samples[c].increment();
      requestedBytes[c].add(size);
    }
  }

  /**
   * Records {@code n} allocations of {@code size} bytes in class {@code c} (a bulk allocation), scaled down
   * by the interval so that the sums stay comparable.
   *
   * @param c the class
   * @param size the requested bytes of each
   * @param n how many
   */
  public void recordBulk(int c, long size, int n) {
    long k = mask == 0 ? n : n / (mask + 1L);
    if (mask != 0 && (ThreadLocalRandom.current().nextInt() & mask) < n % (mask + 1)) {
      k++;
    }
    if (k > 0) {
      samples[c].add(k);
      requestedBytes[c].add(k * size);
    }
  }

  /**
   * Returns the sampled allocations of class {@code c}.
   *
   * @param c the class
   * @return the count
   */
  public long samples(int c) {
    return samples[c].sum();
  }

  /**
   * Returns the sampled requested bytes of class {@code c}.
   *
   * @param c the class
   * @return the sum
   */
  public long requestedBytes(int c) {
    return requestedBytes[c].sum();
  }

  /**
   * Returns the sampling interval.
   *
   * @return 1 when exact
   */
  public int interval() {
    return mask + 1;
  }
}
