package io.github.slabkit.extent.internal;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The version words of a {@link NodeTree}'s nodes and of its structure, from the writer's side (which
 * nodes the running step holds) and the reader's (reading and validating them). See {@link NodeTree}'s
 * "Memory ordering" for the protocol and why it is sound.
 *
 * <h2>Writer</h2>
 * Each node's first word is a seqlock. The first change a step makes to a node ({@link #lock}, called by
 * every setter of {@link NodeLayout}) makes its version odd; the node stays odd until the step ends
 * ({@link #release}), when every held node becomes even again. Holding every changed node to the end of
 * the step, not only while it is written, is what makes validating the nodes a reader visited enough: a
 * split or a merge changes a leaf and its parent in one step, and a reader that saw the leaf's new
 * contents must also find the parent changed.
 *
 * <p>What a node's version cannot cover, the structure version covers ({@link NodeTreeTop}): the root and
 * the height, and the life of the nodes themselves. A step makes it odd ({@link #structural}) before it
 * changes the root or frees a node, and also when it holds more than {@value #MAX_HELD} nodes (a clear
 * over a long range); from then to the end of the step it holds no node (the nodes held so far are let go
 * at once), since no reader that saw the structure even before or during the step can validate. As a
 * freed node may be taken again by this tree or by another tree of the same pool, and a reused node
 * starts from version 0 ({@link #fresh}), a node version alone could repeat (ABA); a reader validates the
 * structure version as well, so it never trusts a node that was freed while it read.
 *
 * <h2>Threading</h2>
 * The writer's methods run under the tree lock; {@link #read} and {@link #reread} are the optimistic
 * readers'.
 */
final class NodeVersions {
  /** The nodes a step holds at most before it makes the structure version odd instead. */
  static final int MAX_HELD = 32;

  private final NodeLayout lay;
  private final NodeTreeTop top;
  private final long[] held = new long[MAX_HELD];
  private int heldCount;
  private boolean structural;

  NodeVersions(NodeLayout lay, NodeTreeTop top) {
    this.lay = lay;
    this.top = top;
  }

  /**
   * Holds {@code node} for the rest of the step before its first change in it: its version becomes odd
   * (opaque store), and a store-store fence keeps every later write of the node from becoming visible
   * before the odd version. An odd version means the running step holds the node already (only it makes
   * versions odd, and it makes them even before the tree lock is dropped).
   */
  void lock(long node) {
    if (structural) {
      return;
    }
    MemorySegment m = lay.wseg(node);
    long o = lay.wbase() + NodeLayout.VERSION;
    long v = m.get(JAVA_LONG_UNALIGNED, o);
    if ((v & 1) != 0) {
      return;
    }
    if (heldCount == MAX_HELD) {
      structural();
      return;
    }
    VH.setOpaque(m, o, v + 1);
    VarHandle.storeStoreFence();
    held[heldCount++] = node;
  }

  /**
   * Makes the structure version odd for the rest of the step, before a change of the root or the height,
   * or before a node is freed; lets go of the nodes held so far (readers that could see them new started
   * before the odd structure version, and fail on it).
   */
  void structural() {
    if (structural) {
      return;
    }
    structural = true;
    top.structureOdd();
    VarHandle.storeStoreFence(); // the odd structure version is visible before any later write
    releaseHeld();
  }

  /** Ends the step: every held node, then the structure version if the step made it odd, becomes even. */
  void release() {
    releaseHeld();
    if (structural) {
      structural = false;
      top.structureEven(); // publishes every write of the step, the ones to unheld nodes included
    }
  }

  private void releaseHeld() {
    for (int i = 0; i < heldCount; i++) {
      long node = held[i];
      MemorySegment m = lay.wseg(node);
      long o = lay.wbase() + NodeLayout.VERSION;
      VH.setRelease(m, o, m.get(JAVA_LONG_UNALIGNED, o) + 1); // publishes the step's writes to the node
      held[i] = 0;
    }
    heldCount = 0;
  }

  /**
   * Starts the version of a node just taken from the allocator at 0, whatever its memory held (a debug
   * pool's poison is odd and would read as held). Readers cannot reach it yet except through a stale
   * handle, and such a reader started before the free that let the node go, so it fails on the structure
   * version.
   */
  void fresh(long node) {
    MemorySegment m = lay.wseg(node);
    m.set(JAVA_LONG_UNALIGNED, lay.wbase() + NodeLayout.VERSION, 0L);
  }

  /**
   * A reader's first read of a node: its version, with acquire, so that no read of the node's contents
   * moves before it and every write published by the release of that version is visible.
   */
  static long read(MemorySegment m, long base) {
    return (long) VH.getAcquire(m, base + NodeLayout.VERSION);
  }

  /** A reader's validating re-read; the caller issued an acquire fence after its reads of the contents. */
  static long reread(MemorySegment m, long base) {
    return (long) VH.getOpaque(m, base + NodeLayout.VERSION);
  }

  // VarHandle mechanics
  private static final VarHandle VH = JAVA_LONG.varHandle();
}
