package io.github.slabkit.extent.internal;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The off-heap layout of one extent state: 48 bytes, 8-byte aligned.
 *
 * <pre>
 *  0 start   long   first offset
 *  8 end     long   last offset, inclusive
 * 16 left    long   handle of the left child, 0 if none
 * 24 right   long   handle of the right child, 0 if none
 * 32 parent  long   handle of the parent, 0 for the root
 * 40 bits    int    the state's bits
 * 44 color   int    red-black color: 1 red, 0 black
 * </pre>
 */
public final class StateLayout {
  /** The layout. */
  public static final StructLayout LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("start"),
          JAVA_LONG.withName("end"),
          JAVA_LONG.withName("left"),
          JAVA_LONG.withName("right"),
          JAVA_LONG.withName("parent"),
          JAVA_INT.withName("bits"),
          JAVA_INT.withName("color"));

  /** Bytes per state. */
  public static final long SIZE = LAYOUT.byteSize();

  // VarHandle mechanics: coordinates (MemorySegment, long baseOffset); every access is plain because every
  // access happens under the tree lock, whose unlock/lock pair orders them.
  static final VarHandle START = field("start");
  static final VarHandle END = field("end");
  static final VarHandle LEFT = field("left");
  static final VarHandle RIGHT = field("right");
  static final VarHandle PARENT = field("parent");
  static final VarHandle BITS = field("bits");
  static final VarHandle COLOR = field("color");

  private StateLayout() {}

  private static VarHandle field(String name) {
    return LAYOUT.varHandle(groupElement(name)).withInvokeExactBehavior();
  }
}
