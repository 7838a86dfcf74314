package io.github.slabkit.slab.internal;

/**
 * A small stack of free object handles (Bonwick's magazine). Owned by one thread or one locked stripe at a
 * time, or sitting in the depot; never accessed by two threads without a happens-before edge between them
 * (the depot queue's offer/poll, or a stripe's lock), except a close() that races its owner against the
 * cache's contract (see {@link MagazineDepot#drainAllQuiescent}).
 */
final class Magazine {
  final long[] handles;
  int count;

  Magazine(int capacity) {
    this.handles = new long[capacity];
  }
}
