package io.github.slabkit.extent.internal;

import java.util.Arrays;

/**
 * The storage behind a public changeset: the union of the recorded ranges as disjoint, non-adjacent
 * inclusive ranges in ascending order (btrfs keeps one entry per start in a ulist; this keeps each byte
 * once), and the byte count of every record. Records arrive in ascending order within one operation, so
 * the common case appends or extends the last range in O(1); an earlier range is merged in place. Reused
 * across operations; it allocates only when it must grow.
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
    if (count == 0 || (start > pairs[2 * count - 1] + 1 && pairs[2 * count - 1] != Long.MAX_VALUE)) {
      append(count, start, end);
      return;
    }
    if (start >= pairs[2 * count - 2]) { // overlaps or touches the last range
      pairs[2 * count - 1] = Math.max(pairs[2 * count - 1], end);
      return;
    }
    // First range that ends at or after start - 1, i.e. that overlaps or touches [start, end].
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (pairs[2 * mid + 1] < start - 1) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int last = lo; // ranges lo .. last - 1 merge with [start, end]
    while (last < count && (end == Long.MAX_VALUE || pairs[2 * last] <= end + 1)) {
      last++;
    }
    if (last == lo) { // disjoint: insert at lo
      append(count, 0, 0);
      System.arraycopy(pairs, 2 * lo, pairs, 2 * lo + 2, 2 * (count - 1 - lo));
      pairs[2 * lo] = start;
      pairs[2 * lo + 1] = end;
      return;
    }
    long s = Math.min(start, pairs[2 * lo]);
    long e = Math.max(end, pairs[2 * last - 1]);
    pairs[2 * lo] = s;
    pairs[2 * lo + 1] = e;
    int removed = last - lo - 1;
    System.arraycopy(pairs, 2 * last, pairs, 2 * lo + 2, 2 * (count - last));
    count -= removed;
  }

  private void append(int at, long start, long end) {
    if (2 * at + 2 > pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length * 2);
    }
    pairs[2 * at] = start;
    pairs[2 * at + 1] = end;
    count = at + 1;
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
   * Returns the number of bytes recorded (bytes recorded twice count twice, as in btrfs), unsigned.
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
