package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.DEFINED_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;
import static io.github.slabkit.extent.ExtentBits.STATE_BITS;

/**
 * The argument checks of the {@link ExtentTree} facade and its {@link TreeLocks}: each throws an
 * {@link IllegalArgumentException} naming the tree, the operation and what is wrong, before the operation
 * touches the tree.
 */
final class Args {
  private Args() {}

  static void range(String tree, String op, long start, long end) {
    if (start < 0) {
      throw bad(tree, op, "start " + start + " is negative");
    }
    if (start > end) {
      throw bad(tree, op, "start " + start + " > end " + end + " (ranges are inclusive)");
    }
  }

  static void offset(String tree, String op, long offset) {
    if (offset < 0) {
      throw bad(tree, op, "offset " + offset + " is negative");
    }
  }

  static void defined(String tree, String op, int bits) {
    if ((bits & ~DEFINED_BITS) != 0) {
      throw bad(tree, op, "undefined bits 0x" + Integer.toHexString(bits & ~DEFINED_BITS) + " (reserved: 17-23)");
    }
  }

  /**
   * The bits of a query: at least one bit a state can carry, and no control bit, which is never stored (a
   * query for all of the bits would then always answer no).
   */
  static void queryBits(String tree, String op, int bits) {
    defined(tree, op, bits);
    if ((bits & CTL_BITS) != 0) {
      throw bad(tree, op, "control bits " + ExtentBits.toString(bits & CTL_BITS)
          + " are never stored, so no state has them; query the stored bits only");
    }
    if ((bits & STATE_BITS) == 0) {
      throw bad(tree, op, "no state bit in " + ExtentBits.toString(bits));
    }
  }

  static void lock(String tree, String op, long start, long end, int bits) {
    range(tree, op, start, end);
    defined(tree, op, bits);
    if ((bits & LOCK_BITS) == 0) {
      throw bad(tree, op, "no lock bit in " + ExtentBits.toString(bits));
    }
    if ((bits & CLEAR_ALL_BITS) != 0) {
      throw bad(tree, op, "CLEAR_ALL_BITS is a request for clear()");
    }
  }

  static IllegalArgumentException bad(String tree, String op, String what) {
    return new IllegalArgumentException(tree + ": " + op + ": " + what);
  }
}
