package io.github.slabkit.extent;

import io.github.slabkit.extent.internal.RangeLog;
import java.util.ArrayList;
import java.util.List;

/**
 * The ranges whose bits an operation actually changed, and their byte count: btrfs's
 * {@code extent_changeset}. Pass one to {@link ExtentTree#set(long, long, int, ExtentChangeset,
 * CachedState)} or {@link ExtentTree#clear(long, long, int, ExtentChangeset, CachedState)}; it accumulates
 * across calls until {@link #reset()}.
 *
 * <p>A set records the bytes that lacked at least one of the bits; a clear records the bytes that had at
 * least one of them. The ranges are the union of the changed bytes: disjoint, in ascending order, adjacent
 * ones joined, so a byte changed twice (a set then a clear) appears once, as btrfs's changeset keeps one
 * entry per range start. {@link #bytesChanged()} counts every change, like btrfs's
 * {@code bytes_changed}, and is unsigned: past 2<sup>63</sup> (ranges reaching {@link Long#MAX_VALUE})
 * it reads negative as a signed {@code long}, so read it with {@link Long#toUnsignedString(long)}.
 * Reusable: it allocates only when it grows. Not thread safe.
 */
public final class ExtentChangeset {
  final RangeLog log;

  /** Creates an empty changeset. */
  public ExtentChangeset() {
    this(8);
  }

  /**
   * Creates an empty changeset sized for {@code initialRanges} ranges.
   *
   * @param initialRanges the initial capacity
   */
  public ExtentChangeset(int initialRanges) {
    this.log = new RangeLog(initialRanges);
  }

  /**
   * Returns the number of bytes changed (a byte changed twice counts twice), unsigned.
   *
   * @return the byte count, unsigned
   */
  public long bytesChanged() {
    return log.bytes();
  }

  /**
   * Returns the number of ranges.
   *
   * @return the count
   */
  public int rangeCount() {
    return log.count();
  }

  /**
   * Returns the first offset of range {@code i}.
   *
   * @param i the index, {@code 0 <= i < rangeCount()}
   * @return the start
   */
  public long rangeStart(int i) {
    return log.start(i);
  }

  /**
   * Returns the last offset of range {@code i}, inclusive.
   *
   * @param i the index, {@code 0 <= i < rangeCount()}
   * @return the end
   */
  public long rangeEnd(int i) {
    return log.end(i);
  }

  /**
   * Returns whether nothing was recorded.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return log.count() == 0;
  }

  /** Forgets every range, keeping the capacity. */
  public void reset() {
    log.reset();
  }

  /**
   * Returns the ranges as extents with bits 0 (allocates).
   *
   * @return the ranges
   */
  public List<Extent> ranges() {
    List<Extent> list = new ArrayList<>(log.count());
    for (int i = 0; i < log.count(); i++) {
      list.add(new Extent(log.start(i), log.end(i), 0));
    }
    return list;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(log.bytes()).append(" bytes in {");
    for (int i = 0; i < log.count(); i++) {
      sb.append(i == 0 ? "" : ", ").append('[').append(log.start(i)).append(", ").append(log.end(i)).append(']');
    }
    return sb.append('}').toString();
  }
}
