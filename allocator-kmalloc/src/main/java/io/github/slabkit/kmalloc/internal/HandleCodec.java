package io.github.slabkit.kmalloc.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Turns a class cache's slab handle into a kmalloc handle and back, with no lookup.
 *
 * <h2>Encoding</h2>
 * {@code [kind:6][payload:58]}. Kind {@code c + 1} (1 to 62) is size class {@code c}, and the payload is the
 * low 58 bits of the class cache's slab handle; kind {@link #LARGE_KIND} is a large allocation (see
 * {@link LargeObjects}). Kind 0 never occurs, so no handle is 0.
 *
 * <h2>Why the slab handle's top bits can be dropped</h2>
 * A slab handle's encoding is internal to allocator-slab; its public API promises nothing about the bits. So
 * this codec does not assume; it checks. The top 6 bits of the first handle a class cache returns are kept as
 * that class's {@code high} bits, and every later handle is compared with them (one compare and a
 * predictable branch on the allocation path). Today's slab handles are {@code [cache tag:16][slab:24][slot:24]},
 * so the top bits are the same for every handle of a cache and the check never fails. Should a future slab
 * encoding vary those bits within a cache, the allocation that sees it fails loudly with an
 * {@link IllegalStateException} naming the class, instead of producing a handle that would decode to another
 * object; every test of this module would catch it. A public hook in allocator-slab that states which bits a
 * cache's handles share would turn this check into a documented guarantee.
 *
 * <h2>Memory ordering</h2>
 * Each class's high bits are set once, by a compare-and-set from {@link #UNKNOWN}, and read plainly. A plain
 * read that still sees {@code UNKNOWN} only sends the allocating thread to {@link #learn}, which reads with
 * acquire and sets with a volatile CAS. The decoding side ({@code free}, {@code memory}) reads plainly too:
 * a thread holding a kmalloc handle got it from the allocation that encoded it, after that allocation's
 * learn (program order) and through whatever published the handle to it (happens-before), so it sees the
 * value that was set; there is only ever one value. {@code KmallocFirstAllocationRaceTest} in jcstress-tests
 * checks the race of two first allocations.
 */
public final class HandleCodec {
  /** Bits of the kind field. */
  public static final int KIND_BITS = 6;

  /** Shift of the kind field. */
  public static final int KIND_SHIFT = 64 - KIND_BITS;

  /** The payload bits: the low 58 bits of a slab handle, or a large allocation's slot and generation. */
  public static final long PAYLOAD_MASK = (1L << KIND_SHIFT) - 1;

  /** The kind of a large allocation. */
  public static final int LARGE_KIND = (1 << KIND_BITS) - 1;

  /** Marks a class whose high bits are not learned yet; has low bits set, so no masked value equals it. */
  static final long UNKNOWN = 1L;

  private static final VarHandle HIGH = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] high;

  /**
   * Creates a codec for {@code classes} size classes.
   *
   * @param classes the number of classes, at most {@link SizeClasses#MAX_CLASSES}
   */
  public HandleCodec(int classes) {
    this.high = new long[classes];
    java.util.Arrays.fill(high, UNKNOWN);
  }

  /**
   * Encodes a handle of class {@code c}'s cache.
   *
   * @param c the class
   * @param slabHandle a handle its cache just returned
   * @param cacheName the cache's name, for the message if the handle cannot be encoded
   * @return the kmalloc handle
   * @throws IllegalStateException if the slab handle's top bits differ from the class's (see the class doc)
   */
  public long encode(int c, long slabHandle, String cacheName) {
    long h = slabHandle & ~PAYLOAD_MASK;
    if (h != high[c]) {
      learn(c, h, slabHandle, cacheName);
    }
    return ((c + 1L) << KIND_SHIFT) | (slabHandle & PAYLOAD_MASK);
  }

  /**
   * Whether a slab handle of class {@code c} is encodable without throwing: its top bits are the class's or
   * none are known yet. Bulk allocation checks every handle before encoding any.
   *
   * @param c the class
   * @param slabHandle a handle its cache returned
   * @return whether {@link #encode} would succeed
   */
  public boolean encodable(int c, long slabHandle) {
    long known = (long) HIGH.getAcquire(high, c);
    return known == UNKNOWN || known == (slabHandle & ~PAYLOAD_MASK);
  }

  private void learn(int c, long bits, long slabHandle, String cacheName) {
    long known = (long) HIGH.getAcquire(high, c);
    if (known == UNKNOWN) {
      if (HIGH.compareAndSet(high, c, UNKNOWN, bits)) {
        return;
      }
      known = (long) HIGH.getAcquire(high, c);
    }
    if (known != bits) {
      throw new IllegalStateException(
          cacheName
              + ": slab handle 0x"
              + Long.toHexString(slabHandle)
              + " has top bits 0x"
              + Long.toHexString(bits >>> KIND_SHIFT)
              + " where this class's earlier handles had 0x"
              + Long.toHexString(known >>> KIND_SHIFT)
              + ": the slab handle encoding changed (allocator-slab and allocator-kmalloc versions differ?)."
              + " Use matching versions from slabkit-bom.");
    }
  }

  /**
   * Returns the slab handle a class handle names (no validation; the cache validates on free).
   *
   * @param c the class
   * @param handle a kmalloc handle of class {@code c}
   * @return the cache's handle
   */
  public long slabHandle(int c, long handle) {
    return (handle & PAYLOAD_MASK) | high[c];
  }

  /**
   * Returns the class of a handle, or a value outside {@code [0, classes)} for a large or invalid handle.
   *
   * @param handle a handle
   * @return {@code kind - 1}
   */
  public static int classOf(long handle) {
    return (int) (handle >>> KIND_SHIFT) - 1;
  }

  /**
   * Whether class {@code c} has issued a handle (its high bits are known).
   *
   * @param c the class
   * @return whether known
   */
  public boolean known(int c) {
    return (long) HIGH.getAcquire(high, c) != UNKNOWN;
  }
}
