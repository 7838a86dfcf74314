package io.github.slabkit.extent;

/**
 * A reusable holder for the range a query found, so that queries allocate nothing. Not thread safe: use
 * one per thread.
 */
public final class RangeResult {
  private long start;
  private long end;
  private int bits;
  private boolean found;

  /** Creates an empty result. */
  public RangeResult() {}

  /**
   * Returns whether the last query that filled this holder found something.
   *
   * @return true if found
   */
  public boolean found() {
    return found;
  }

  /**
   * Returns the first offset of the range found.
   *
   * @return the start
   */
  public long start() {
    return start;
  }

  /**
   * Returns the last offset of the range found, inclusive; {@link Long#MAX_VALUE} for "to the end". When
   * nothing was found it is {@code -1}, except after {@link ExtentTree#findDelallocRange}, which then
   * reports how far the search went (as btrfs's {@code find_delalloc_range} does) so that a caller can
   * skip ahead.
   *
   * @return the end
   */
  public long end() {
    return end;
  }

  /**
   * Returns the bits of the state found, where the query returns one state; otherwise 0.
   *
   * @return the bits
   */
  public int bits() {
    return bits;
  }

  /**
   * Returns the number of bytes in the range ({@link Long#MAX_VALUE} if it does not fit).
   *
   * @return the length
   */
  public long length() {
    long n = end - start + 1;
    return n <= 0 ? Long.MAX_VALUE : n;
  }

  boolean set(long start, long end, int bits) {
    this.start = start;
    this.end = end;
    this.bits = bits;
    this.found = true;
    return true;
  }

  boolean notFound(long end) {
    none();
    this.end = end;
    return false;
  }

  boolean none() {
    this.start = 0;
    this.end = -1;
    this.bits = 0;
    this.found = false;
    return false;
  }

  /**
   * Returns the result as an immutable extent (allocates).
   *
   * @return the extent
   * @throws IllegalStateException if nothing was found
   */
  public Extent toExtent() {
    if (!found) {
      throw new IllegalStateException("nothing was found");
    }
    return new Extent(start, end, bits);
  }

  @Override
  public String toString() {
    return found ? "[" + start + ", " + end + "] " + ExtentBits.toString(bits) : "(none)";
  }
}
