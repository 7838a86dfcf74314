package io.github.slabkit.bench;

import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/** {@link LongSpscRing}'s algorithm for references; see there for the memory ordering. */
final class RefSpscRing<T> {
  private static final int TAIL = 16;
  private static final int HEAD = 32;

  private final @Nullable Object[] slots;
  private final int mask;
  private final AtomicLongArray indices = new AtomicLongArray(48);
  private long headCache; // producer-local
  private long tailCache; // consumer-local

  RefSpscRing(int capacityPowerOfTwo) {
    if (Integer.bitCount(capacityPowerOfTwo) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacityPowerOfTwo);
    }
    slots = new Object[capacityPowerOfTwo];
    mask = capacityPowerOfTwo - 1;
  }

  /** Producer only. Returns false when full. */
  boolean offer(T value) {
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

  /** Consumer only. Returns null when empty. */
  @SuppressWarnings("unchecked")
  @Nullable T poll() {
    long h = indices.getPlain(HEAD);
    if (h >= tailCache) {
      tailCache = indices.getAcquire(TAIL);
      if (h >= tailCache) {
        return null;
      }
    }
    int i = (int) h & mask;
    Object v = slots[i];
    slots[i] = null;
    indices.setRelease(HEAD, h + 1);
    return (T) v;
  }
}
