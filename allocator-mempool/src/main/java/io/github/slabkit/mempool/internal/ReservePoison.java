package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Poisoning of reserved elements in debug mode: an object entering the reserve is filled with the slab
 * poison ({@code 0x6b}, last byte {@code 0xa5}); when it leaves the reserve the poison is checked, so a write
 * through a stale handle while the object sat in the reserve is reported as {@code BUG <pool>: ...}.
 */
public final class ReservePoison {
  static final byte FREE = 0x6b;
  static final byte END = (byte) 0xa5;
  private static final System.Logger LOG = System.getLogger("io.github.slabkit.mempool");

  private ReservePoison() {}

  /** Fills the object with poison. */
  public static void poison(ObjectAllocator backing, long h) {
    MemorySegment s = backing.segment(h);
    long n = s.byteSize();
    s.asSlice(0, n - 1).fill(FREE);
    s.set(ValueLayout.JAVA_BYTE, n - 1, END);
  }

  /**
   * Checks the poison of an object leaving the reserve; reports and repairs (by the caller's later use) a
   * mismatch.
   *
   * @return the first bad offset, or -1
   */
  public static long check(String pool, ObjectAllocator backing, long h) {
    MemorySegment s = backing.segment(h);
    long n = s.byteSize();
    long bad = -1;
    for (long i = 0; i < n - 1 && bad < 0; i++) {
      if (s.get(ValueLayout.JAVA_BYTE, i) != FREE) {
        bad = i;
      }
    }
    if (bad < 0 && s.get(ValueLayout.JAVA_BYTE, n - 1) != END) {
      bad = n - 1;
    }
    if (bad >= 0) {
      byte found = s.get(ValueLayout.JAVA_BYTE, bad);
      String report =
          "BUG " + pool + ": Poison overwritten in a reserved element (write after free)\n"
              + "  object 0x" + Long.toHexString(h) + " (" + n + " bytes) of backing allocator '"
              + backing.name() + "'\n"
              + "  first bad byte at offset +" + bad + ": found " + String.format("0x%02x", found & 0xff)
              + ", expected " + String.format("0x%02x", (bad == n - 1 ? END : FREE) & 0xff) + "\n";
      LOG.log(System.Logger.Level.ERROR, report);
      MempoolEvents.debugReport(pool, h, bad);
    }
    return bad;
  }
}
