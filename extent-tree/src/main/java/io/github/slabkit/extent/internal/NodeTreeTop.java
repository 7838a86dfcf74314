package io.github.slabkit.extent.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Padding before the fields every optimistic reader of a {@link NodeTree} reads: 64 bytes of {@code byte}
 * fields. Bytes, not longs (as JCTools pads since JDK 15): HotSpot fills gaps in a superclass's layout with
 * a subclass's fields ({@code -XX:+UseEmptySlotsInSupers}, the default), so long padding left the gap after
 * the object header and the gap after {@link NodeTreeTop#freed} open, and the readers' {@code height} went
 * to offset 12 beside the previous object on the heap while the writer's own flags went beside
 * {@code root}. Byte fields leave no gap to fill.
 */
@SuppressWarnings({"unused", "MultiVariableDeclaration"}) // padding, never read
abstract class NodeTreePad0 {
  private byte p000, p001, p002, p003, p004, p005, p006, p007;
  private byte p008, p009, p010, p011, p012, p013, p014, p015;
  private byte p016, p017, p018, p019, p020, p021, p022, p023;
  private byte p024, p025, p026, p027, p028, p029, p030, p031;
  private byte p032, p033, p034, p035, p036, p037, p038, p039;
  private byte p040, p041, p042, p043, p044, p045, p046, p047;
  private byte p048, p049, p050, p051, p052, p053, p054, p055;
  private byte p056, p057, p058, p059, p060, p061, p062, p063;
}

/**
 * The fields every optimistic reader of a {@link NodeTree} reads first: the root, the height and the
 * structure version. They sit on cache lines of their own (64 bytes of padding on each side; HotSpot lays
 * out a superclass's fields before its subclass's), so that the writer's own bookkeeping, which changes on
 * every operation, does not take the line away from readers on another core.
 */
abstract class NodeTreeTop extends NodeTreePad0 {
  /** The root node, 0 when empty; written under the tree lock while the structure version is odd. */
  long root;
  /** The height (0 when empty, 1 when the root is a leaf); written as {@link #root}. */
  int height;
  /** The structure version, a seqlock over root, height and node frees; see {@link NodeVersions}. */
  @SuppressWarnings({"unused", "FieldMayBeFinal"}) // accessed through STRUCTURE
  private long structure;
  /** Whether the tree was closed and its nodes freed; checked by readers before and after a read. */
  volatile boolean freed;

  /** Reads the structure version with acquire: the first read of an optimistic reader. */
  final long structureAcquire() {
    return (long) STRUCTURE.getAcquire(this);
  }

  /** Re-reads the structure version to validate; the caller fenced the reads before. */
  final long structureOpaque() {
    return (long) STRUCTURE.getOpaque(this);
  }

  /** The writer makes it odd: an opaque store, which the caller follows with a store-store fence. */
  final void structureOdd() {
    STRUCTURE.setOpaque(this, structure + 1);
  }

  /** The writer makes it even again, publishing every write before it. */
  final void structureEven() {
    STRUCTURE.setRelease(this, structure + 1);
  }

  // VarHandle mechanics
  private static final VarHandle STRUCTURE;

  static {
    try {
      STRUCTURE = MethodHandles.lookup().findVarHandle(NodeTreeTop.class, "structure", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}

/**
 * Padding after the fields every optimistic reader reads, before the writer's own: 64 bytes, as
 * {@link NodeTreePad0}.
 */
@SuppressWarnings({"unused", "MultiVariableDeclaration"}) // padding, never read
abstract class NodeTreePad1 extends NodeTreeTop {
  private byte p100, p101, p102, p103, p104, p105, p106, p107;
  private byte p108, p109, p110, p111, p112, p113, p114, p115;
  private byte p116, p117, p118, p119, p120, p121, p122, p123;
  private byte p124, p125, p126, p127, p128, p129, p130, p131;
  private byte p132, p133, p134, p135, p136, p137, p138, p139;
  private byte p140, p141, p142, p143, p144, p145, p146, p147;
  private byte p148, p149, p150, p151, p152, p153, p154, p155;
  private byte p156, p157, p158, p159, p160, p161, p162, p163;
}
