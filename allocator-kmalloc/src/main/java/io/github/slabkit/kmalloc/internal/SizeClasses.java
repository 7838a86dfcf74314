package io.github.slabkit.kmalloc.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The size classes of one allocator and the request-size-to-class map.
 *
 * <p>Every class size is a multiple of 8, so a request of {@code size} bytes maps through the granule
 * {@code (size - 1) >>> 3} (like the kernel's {@code size_index[]} table): one byte-table load for requests up
 * to {@link #TABLE_LIMIT}, a short scan beyond it. Immutable.
 */
public final class SizeClasses {
  /** The page size: the largest natural alignment, and the unit of large (above-class) allocations. */
  public static final long PAGE = 4096;

  /** Requests up to this size map to their class through the table. */
  public static final long TABLE_LIMIT = 64 * 1024;

  /** The most classes an allocator can have (the handle's kind field has room for 62). */
  public static final int MAX_CLASSES = 62;

  private final long[] sizes;
  private final long[] alignments;
  private final byte[] granuleToClass;
  private final int firstBeyondTable;

  private SizeClasses(long[] sizes) {
    if (sizes.length > MAX_CLASSES) {
      throw new IllegalArgumentException(
          sizes.length + " size classes exceed the limit of " + MAX_CLASSES + "; lower the maximum class size");
    }
    this.sizes = sizes;
    this.alignments = new long[sizes.length];
    for (int c = 0; c < sizes.length; c++) {
      alignments[c] = Math.min(Long.lowestOneBit(sizes[c]), PAGE);
    }
    long max = sizes[sizes.length - 1];
    int granules = (int) (Math.min(max, TABLE_LIMIT) >>> 3);
    this.granuleToClass = new byte[granules];
    int c = 0;
    for (int g = 0; g < granules; g++) {
      long size = (g + 1L) << 3;
      while (sizes[c] < size) {
        c++;
      }
      granuleToClass[g] = (byte) c;
    }
    int f = 0;
    while (f < sizes.length && sizes[f] <= TABLE_LIMIT) {
      f++;
    }
    this.firstBeyondTable = f;
  }

  /**
   * The kernel's classes: powers of two from 8 B, plus 96 and 192, up to {@code max}.
   *
   * @param max the largest class, a power of two from 256 B
   * @return the classes
   */
  public static SizeClasses kernel(long max) {
    checkMax(max);
    List<Long> s = new ArrayList<>();
    for (long size = 8; size <= max; size <<= 1) {
      s.add(size);
      if (size == 64) {
        s.add(96L);
      } else if (size == 128) {
        s.add(192L);
      }
    }
    return new SizeClasses(s.stream().mapToLong(Long::longValue).toArray());
  }

  /**
   * Finer classes, four per doubling above 128 B (as jemalloc and Netty space theirs): 8, 16, 32, 48, 64, 80,
   * 96, 112, 128, 160, 192, 224, 256, 320, ... up to {@code max}. The worst-case waste is a quarter of the
   * class below instead of a half.
   *
   * @param max the largest class, a power of two from 256 B
   * @return the classes
   */
  public static SizeClasses quarter(long max) {
    checkMax(max);
    List<Long> s = new ArrayList<>(List.of(8L, 16L, 32L, 48L, 64L, 80L, 96L, 112L, 128L));
    for (long base = 128; base < max; base <<= 1) {
      for (int i = 1; i <= 4; i++) {
        s.add(base + i * (base / 4));
      }
    }
    return new SizeClasses(s.stream().mapToLong(Long::longValue).toArray());
  }

  private static void checkMax(long max) {
    if (max < 256 || Long.bitCount(max) != 1 || max > (1L << 22)) {
      throw new IllegalArgumentException(
          "maximum size class must be a power of two from 256 B to 4 MiB, was " + max);
    }
  }

  /**
   * Returns the class of a request.
   *
   * @param size the request, {@code 1 <= size <= maxSize()}
   * @return the index of the smallest class that holds it
   */
  public int indexOf(long size) {
    if (size <= TABLE_LIMIT) {
      return granuleToClass[(int) ((size - 1) >>> 3)];
    }
    int c = firstBeyondTable;
    while (sizes[c] < size) {
      c++;
    }
    return c;
  }

  /**
   * Returns the smallest class that holds {@code size} bytes at {@code alignment}, or {@code -1} if none.
   *
   * @param size the request, {@code 1 <= size}
   * @param alignment a power of two
   * @return the class, or -1 when the request needs a large allocation
   */
  public int indexOf(long size, long alignment) {
    if (size > maxSize()) {
      return -1;
    }
    int c = indexOf(size);
    while (c < sizes.length && alignments[c] < alignment) {
      c++;
    }
    return c < sizes.length ? c : -1;
  }

  /**
   * Returns the number of classes.
   *
   * @return the count
   */
  public int count() {
    return sizes.length;
  }

  /**
   * Returns a class's object size.
   *
   * @param c the class
   * @return its size in bytes
   */
  public long size(int c) {
    return sizes[c];
  }

  /**
   * Returns a class's natural alignment: the largest power of two dividing its size, at most a page.
   *
   * @param c the class
   * @return the alignment in bytes
   */
  public long alignment(int c) {
    return alignments[c];
  }

  /**
   * Returns the largest class size.
   *
   * @return the size in bytes
   */
  public long maxSize() {
    return sizes[sizes.length - 1];
  }

  /**
   * Returns the kernel-style label of a class: {@code 64}, {@code 96}, {@code 1k}, {@code 8k}.
   *
   * @param c the class
   * @return the label
   */
  public String label(int c) {
    long s = sizes[c];
    return s >= 1024 && s % 1024 == 0 ? (s / 1024) + "k" : Long.toString(s);
  }

  /**
   * Returns every class size, ascending.
   *
   * @return a copy of the sizes
   */
  public long[] sizes() {
    return sizes.clone();
  }
}
