package io.github.slabkit.allocator;

import java.util.Objects;

/** Argument checks shared by the allocator implementations. */
public final class Allocators {
  private Allocators() {}

  /**
   * Checks the arguments of a bulk operation.
   *
   * @param array the handle array
   * @param n the count
   * @throws IllegalArgumentException if {@code n} is negative or larger than the array
   */
  public static void checkBulk(long[] array, int n) {
    Objects.requireNonNull(array, "handle array");
    if (n < 0 || n > array.length) {
      throw new IllegalArgumentException(
          "bulk count " + n + " is outside [0, " + array.length + "]: pass 0 <= n <= array.length");
    }
  }

  /**
   * Checks a positive count of objects.
   *
   * @param what what is counted, for the message
   * @param n the count
   * @return {@code n}
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static int checkPositive(String what, int n) {
    if (n < 1) {
      throw new IllegalArgumentException(what + " must be at least 1, was " + n);
    }
    return n;
  }

  /**
   * Formats a byte count for messages, e.g. {@code 1048576 (1.0 MiB)}.
   *
   * @param bytes the count
   * @return the text
   */
  public static String bytes(long bytes) {
    if (bytes == Long.MAX_VALUE) {
      return "unlimited";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return bytes + " B (" + String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]) + ")";
  }
}
