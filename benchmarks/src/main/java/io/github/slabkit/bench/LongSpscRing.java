package io.github.slabkit.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded single-producer single-consumer ring of {@code long} values (0 is "empty", which Slabkit
 * handles never are), used to hand slab handles from a producer thread to a consumer thread without
 * boxing. {@link RefSpscRing} is the same algorithm for object references (Netty buffers), so both sides
 * of the producer/consumer comparison pay the same handoff.
 *
 * <p>Memory ordering: the producer writes the slot plainly and then publishes the tail with a release
 * store; the consumer reads the tail with an acquire load before reading the slot, and publishes the
 * head with a release store so the producer may reuse the slot. Head and tail live 128 bytes apart in
 * one {@link AtomicLongArray} so they do not share a cache line.
 */
final class LongSpscRing {
  private static final int TAIL = 16;
  private static final int HEAD = 32;

  private final long[] slots;
  private final int mask;
  private final AtomicLongArray indices = new AtomicLongArray(48);
  private long headCache; // producer-local
  private long tailCache; // consumer-local

  LongSpscRing(int capacityPowerOfTwo) {
    if (Integer.bitCount(capacityPowerOfTwo) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacityPowerOfTwo);
    }
    slots = new long[capacityPowerOfTwo];
    mask = capacityPowerOfTwo - 1;
  }

  /** Producer only. Returns false when full. */
  boolean offer(long value) {
    long t = indices.getPlain(TAIL);
    if (t - headCache >= slots.length) {
      headCache = indices.getAcquire(HEAD);
      if (t - headCache >= slots.length) {
        return false;
      }
    }
    slots[(int) t & mask] = value;
    indices.setRelease(TAIL, t + 1);
    return true;
  }

  /** Consumer only. Returns 0 when empty. */
  long poll() {
    long h = indices.getPlain(HEAD);
    if (h >= tailCache) {
      tailCache = indices.getAcquire(TAIL);
      if (h >= tailCache) {
        return 0;
      }
    }
    long v = slots[(int) h & mask];
    indices.setRelease(HEAD, h + 1);
    return v;
  }
}
