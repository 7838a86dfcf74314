package io.github.slabkit.bench;

import io.github.slabkit.slab.SlabCache;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/** Factories for the anchors every allocation benchmark compares against, configured once, here. */
final class Anchors {
  /** Object size of every allocation benchmark, as in the issues. */
  static final int SIZE = 64;

  private Anchors() {}

  /** The subject: a Slabkit slab cache of 64-byte objects, default options (64 KiB slabs, unlimited budget). */
  static SlabCache slab(String name) {
    return SlabCache.builder(name).objectSize(SIZE).build();
  }

  /**
   * Netty's pooled allocator, direct buffers, with the per-thread cache on for all threads (by default
   * Netty gives the thread cache only to its own FastThreadLocalThreads, and JMH's workers are not).
   */
  static PooledByteBufAllocator nettyPooled() {
    return new PooledByteBufAllocator(
        true,
        PooledByteBufAllocator.defaultNumHeapArena(),
        PooledByteBufAllocator.defaultNumDirectArena(),
        PooledByteBufAllocator.defaultPageSize(),
        PooledByteBufAllocator.defaultMaxOrder(),
        PooledByteBufAllocator.defaultSmallCacheSize(),
        PooledByteBufAllocator.defaultNormalCacheSize(),
        true);
  }

  /** Netty 4.2's adaptive allocator (its default), direct, with magazine caching for all threads. */
  static AdaptiveByteBufAllocator nettyAdaptive() {
    return new AdaptiveByteBufAllocator(true, true);
  }

  /**
   * A pool a user could build in ten lines: preallocated 64-byte slices of one big segment in a JCTools
   * MPMC queue (the Unsafe-free atomic flavour).
   */
  static MpmcAtomicArrayQueue<MemorySegment> mpmcPool(Arena arena, int capacity) {
    MpmcAtomicArrayQueue<MemorySegment> q = new MpmcAtomicArrayQueue<>(capacity);
    MemorySegment all = arena.allocate((long) SIZE * capacity, SIZE);
    for (int i = 0; i < capacity; i++) {
      if (!q.offer(all.asSlice((long) i * SIZE, SIZE))) {
        throw new IllegalStateException("pool queue full at " + i);
      }
    }
    return q;
  }
}
