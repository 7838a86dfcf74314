package io.github.slabkit.extent;

/**
 * An immutable copy of one extent state: the inclusive range {@code [start, end]} and its bits.
 *
 * @param start the first offset
 * @param end the last offset, inclusive
 * @param bits the bits
 */
public record Extent(long start, long end, int bits) {
  /**
   * Returns the number of bytes.
   *
   * @return {@code end - start + 1}
   */
  public long length() {
    return end - start + 1;
  }

  @Override
  public String toString() {
    return "[" + start + ", " + end + "] " + ExtentBits.toString(bits);
  }
}
