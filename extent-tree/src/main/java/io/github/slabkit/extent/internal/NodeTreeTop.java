package io.github.slabkit.extent.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Padding before the fields every optimistic reader of a {@link NodeTree} reads. */
@SuppressWarnings("unused") // padding, never read
abstract class NodeTreePad0 {
  private long p00;
  private long p01;
  private long p02;
  private long p03;
  private long p04;
  private long p05;
  private long p06;
  private long p07;
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

/** Padding after the fields every optimistic reader reads, before the writer's own. */
@SuppressWarnings("unused") // padding, never read
abstract class NodeTreePad1 extends NodeTreeTop {
  private long p10;
  private long p11;
  private long p12;
  private long p13;
  private long p14;
  private long p15;
  private long p16;
  private long p17;
}
