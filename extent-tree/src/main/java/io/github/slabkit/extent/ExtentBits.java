package io.github.slabkit.extent;

/**
 * The bits of an extent state: the btrfs {@code extent-io-tree.h} bit list, in the same order, plus eight user
 * bits. A state's bits are an {@code int} mask.
 *
 * <p>Three groups have rules:
 * <ul>
 *   <li>{@link #LOCK_BITS} ({@link #LOCKED}, {@link #DIO_LOCKED}) are set only through the lock methods of
 *       {@link ExtentTree}; they are exclusive and clearing them wakes the waiters of the overlapping ranges.
 *   <li>{@link #CTL_BITS} are requests, never stored: they are passed to the {@link ExtentHooks} (btrfs uses
 *       them to release reservations) and {@link #CLEAR_ALL_BITS} makes a clear remove every stored bit.
 *   <li>States carrying a lock bit or {@link #BOUNDARY} never merge with their neighbours.
 * </ul>
 * Bits 17 to 23 are reserved: passing any of them is an {@link IllegalArgumentException}.
 */
public final class ExtentBits {
  /** Dirty data. */
  public static final int DIRTY = 1;
  /** Range lock (exclusive); see {@link ExtentTree#lock(long, long)}. */
  public static final int LOCKED = 1 << 1;
  /** Direct-I/O range lock (exclusive, independent of {@link #LOCKED}). */
  public static final int DIO_LOCKED = 1 << 2;
  /** Newly allocated range. */
  public static final int NEW = 1 << 3;
  /** Delayed allocation pending. Clearing it also clears {@link #NORESERVE}, as in btrfs. */
  public static final int DELALLOC = 1 << 4;
  /** Marked for defragmentation. */
  public static final int DEFRAG = 1 << 5;
  /** A state with this bit never merges with its neighbours. */
  public static final int BOUNDARY = 1 << 6;
  /** No data checksums. */
  public static final int NODATASUM = 1 << 7;
  /** Control bit: release the metadata reservation (hooks only, never stored). */
  public static final int CLEAR_META_RESV = 1 << 8;
  /** Someone waits for this range. */
  public static final int NEED_WAIT = 1 << 9;
  /** Written without a data space reservation. */
  public static final int NORESERVE = 1 << 10;
  /** Quota group space reserved. */
  public static final int QGROUP_RESERVED = 1 << 11;
  /** Control bit: release the data reservation (hooks only, never stored). */
  public static final int CLEAR_DATA_RESV = 1 << 12;
  /** New delayed allocation. */
  public static final int DELALLOC_NEW = 1 << 13;
  /** Locked for finishing an ordered extent (used together with {@link #LOCKED}). */
  public static final int FINISHING_ORDERED = 1 << 14;
  /** Control bit: account inode bytes on clear (hooks only, never stored). */
  public static final int ADD_INODE_BYTES = 1 << 15;
  /** Control bit for clear: remove every stored bit (and so the states) of the range. */
  public static final int CLEAR_ALL_BITS = 1 << 16;

  /** Both reservation-release control bits. */
  public static final int DO_ACCOUNTING = CLEAR_META_RESV | CLEAR_DATA_RESV;
  /** The control bits: passed to hooks, never stored in a state. */
  public static final int CTL_BITS = DO_ACCOUNTING | ADD_INODE_BYTES | CLEAR_ALL_BITS;
  /** The exclusive lock bits. */
  public static final int LOCK_BITS = LOCKED | DIO_LOCKED;
  /** Bits that stop a state from merging with its neighbours. */
  public static final int NO_MERGE_BITS = LOCK_BITS | BOUNDARY;

  /** Position of {@link #user(int) user bit} 0. */
  public static final int USER_SHIFT = 24;
  /** The number of user bits. */
  public static final int USER_BIT_COUNT = 8;
  /** All user bits. */
  public static final int USER_BITS = 0xff << USER_SHIFT;
  /** Every bit with a meaning: the btrfs bits and the user bits. */
  public static final int DEFINED_BITS = ((1 << 17) - 1) | USER_BITS;
  /** Bits that may be stored in a state. */
  public static final int STATE_BITS = DEFINED_BITS & ~CTL_BITS;

  private static final String[] NAMES = {
    "DIRTY", "LOCKED", "DIO_LOCKED", "NEW", "DELALLOC", "DEFRAG", "BOUNDARY", "NODATASUM",
    "CLEAR_META_RESV", "NEED_WAIT", "NORESERVE", "QGROUP_RESERVED", "CLEAR_DATA_RESV", "DELALLOC_NEW",
    "FINISHING_ORDERED", "ADD_INODE_BYTES", "CLEAR_ALL_BITS"
  };

  private ExtentBits() {}

  /**
   * Returns user bit {@code i}, free for the application's own meaning. User bits behave like
   * {@link #DIRTY}: stored, mergeable, never exclusive.
   *
   * @param i the user bit index, {@code 0 <= i < USER_BIT_COUNT}
   * @return the bit mask
   * @throws IllegalArgumentException if {@code i} is out of range
   */
  public static int user(int i) {
    if (i < 0 || i >= USER_BIT_COUNT) {
      throw new IllegalArgumentException("user bit index " + i + " is not in [0, " + USER_BIT_COUNT + ")");
    }
    return 1 << (USER_SHIFT + i);
  }

  /**
   * Renders a mask as names joined by {@code |}, for messages: {@code DIRTY|LOCKED|USER3}; undefined bits
   * as {@code BIT19}; zero as {@code 0}.
   *
   * @param bits the mask
   * @return the text
   */
  public static String toString(int bits) {
    if (bits == 0) {
      return "0";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      if ((bits & (1 << i)) == 0) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append('|');
      }
      if (i < NAMES.length) {
        sb.append(NAMES[i]);
      } else if (i >= USER_SHIFT) {
        sb.append("USER").append(i - USER_SHIFT);
      } else {
        sb.append("BIT").append(i);
      }
    }
    return sb.toString();
  }
}
