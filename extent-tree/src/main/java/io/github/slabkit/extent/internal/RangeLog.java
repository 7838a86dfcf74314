package io.github.slabkit.extent.internal;

import java.util.Arrays;

/**
 * The storage behind a public changeset: inclusive ranges in the order they were recorded, each one joined
 * to the previous one when it starts right after it, and the byte count. Reused across operations; it
 * allocates only when it must grow.
 */
public final class RangeLog {
  private long[] pairs;
  private int count;
  private long bytes;

  /**
   * Creates a log.
   *
   * @param initialRanges the initial capacity in ranges
   */
  public RangeLog(int initialRanges) {
    this.pairs = new long[Math.max(2, initialRanges * 2)];
  }

  /**
   * Records that the bits of {@code [start, end]} changed.
   *
   * @param start first offset
   * @param end last offset, inclusive
   */
  public void record(long start, long end) {
    bytes += end - start + 1;
    if (count > 0 && pairs[2 * count - 1] + 1 == start) {
      pairs[2 * count - 1] = end;
      return;
    }
    if (2 * count + 2 > pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length * 2);
    }
    pairs[2 * count] = start;
    pairs[2 * count + 1] = end;
    count++;
  }

  /**
   * Returns the number of ranges.
   *
   * @return the count
   */
  public int count() {
    return count;
  }

  /**
   * Returns the first offset of range {@code i}.
   *
   * @param i the index
   * @return the start
   */
  public long start(int i) {
    check(i);
    return pairs[2 * i];
  }

  /**
   * Returns the last offset of range {@code i}.
   *
   * @param i the index
   * @return the inclusive end
   */
  public long end(int i) {
    check(i);
    return pairs[2 * i + 1];
  }

  /**
   * Returns the number of bytes recorded (bytes recorded twice count twice).
   *
   * @return the byte count
   */
  public long bytes() {
    return bytes;
  }

  /** Forgets every range, keeping the capacity. */
  public void reset() {
    count = 0;
    bytes = 0;
  }

  private void check(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("range " + i + " of " + count);
    }
  }
}
