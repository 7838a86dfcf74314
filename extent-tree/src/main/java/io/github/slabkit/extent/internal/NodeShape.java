package io.github.slabkit.extent.internal;

import io.github.slabkit.allocator.ObjectAllocator;

/** Padding before a {@link NodeLayout}'s shape fields: 64 bytes, as {@link NodeTreePad0} (and why bytes). */
@SuppressWarnings({"unused", "MultiVariableDeclaration"}) // padding, never read
abstract class NodeLayoutPad0 {
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
 * What an optimistic reader of a {@link NodeTree} reads of its {@link NodeLayout} at every node it visits:
 * the allocator that resolves handles and the node's capacities and array offsets, all final. They sit on
 * cache lines of their own (64 bytes of padding on each side, and a superclass's fields come before its
 * subclass's), apart from the writer's one-node resolution cache in {@link NodeLayout}, which a writer's
 * step rewrites whenever it moves to another node: sharing a line with it made every lookup beside a
 * writer miss on these fields several times, and the writer miss on its cache in turn.
 */
abstract class NodeShape extends NodeLayoutPad0 {
  /** Resolves handles to memory. */
  final ObjectAllocator mem;
  /** States per leaf. */
  final int leafCap;
  /** Children per inner node. */
  final int fanout;
  /** The offset of a leaf's ends. */
  final long ends;
  /** The offset of a leaf's bits. */
  final long bitsAt;
  /** The offset of an inner node's child handles. */
  final long kids;

  NodeShape(ObjectAllocator mem, int leafCap, int fanout) {
    this.mem = mem;
    this.leafCap = leafCap;
    this.fanout = fanout;
    this.ends = NodeLayout.STARTS + 8L * leafCap;
    this.bitsAt = NodeLayout.STARTS + 16L * leafCap;
    this.kids = NodeLayout.KEYS + 8L * (fanout - 1);
  }
}

/** Padding after a {@link NodeLayout}'s shape fields, before the writer's own: 64 bytes. */
@SuppressWarnings({"unused", "MultiVariableDeclaration"}) // padding, never read
abstract class NodeLayoutPad1 extends NodeShape {
  private byte p100, p101, p102, p103, p104, p105, p106, p107;
  private byte p108, p109, p110, p111, p112, p113, p114, p115;
  private byte p116, p117, p118, p119, p120, p121, p122, p123;
  private byte p124, p125, p126, p127, p128, p129, p130, p131;
  private byte p132, p133, p134, p135, p136, p137, p138, p139;
  private byte p140, p141, p142, p143, p144, p145, p146, p147;
  private byte p148, p149, p150, p151, p152, p153, p154, p155;
  private byte p156, p157, p158, p159, p160, p161, p162, p163;

  NodeLayoutPad1(ObjectAllocator mem, int leafCap, int fanout) {
    super(mem, leafCap, fanout);
  }
}
