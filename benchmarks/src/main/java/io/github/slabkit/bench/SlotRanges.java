package io.github.slabkit.bench;

import java.util.SplittableRandom;

/**
 * The range workload of issue 4: the 2^32 offset space is cut into {@code 2 * ranges} equal slots; slot
 * {@code i} always means the same inclusive range (offset and length from a hash of {@code i}, a quarter
 * to a half of the slot, never touching the next slot, so neighbouring ranges never merge). Half the
 * slots are occupied at any time: a set+clear operation sets one empty slot and clears one occupied slot,
 * so every operation inserts one range and removes one, and the structure holds exactly {@code ranges}
 * ranges throughout the run. Not thread-safe: one thread uses an instance (its random state, its occupied
 * slots and its last range change with every call).
 */
final class SlotRanges {
  static final long SPACE = 1L << 32;

  private final int slots;
  private final long slotSize;
  private final boolean[] occupied;
  private long seed;
  // The range of the slot asked last: an operation asks start(slot) then end(slot), and each costs two
  // 64-bit divisions (tens of cycles each), which the lock+unlock of an empty tree would otherwise pay four
  // times over on top of the structure's own work. The ranges are the same either way.
  private int lastSlot = -1;
  private long lastStart;
  private long lastEnd;

  SlotRanges(int ranges, long seed) {
    this.slots = Math.max(2, 2 * ranges);
    this.slotSize = SPACE / slots;
    this.occupied = new boolean[slots];
    this.seed = seed | 1;
    // exactly `ranges` occupied slots, chosen by a seeded shuffle
    int[] order = new int[slots];
    for (int i = 0; i < slots; i++) {
      order[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = slots - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int i = 0; i < ranges; i++) {
      occupied[order[i]] = true;
    }
  }

  int slots() {
    return slots;
  }

  boolean isOccupied(int slot) {
    return occupied[slot];
  }

  long start(int slot) {
    if (slot == lastSlot) {
      return lastStart;
    }
    long h = mix(slot);
    long len = length(slot);
    long off = (h >>> 1) % (slotSize - len);
    long start = slot * slotSize + off;
    lastSlot = slot;
    lastStart = start;
    lastEnd = start + len - 1;
    return start;
  }

  long end(int slot) {
    if (slot != lastSlot) {
      start(slot);
    }
    return lastEnd;
  }

  private long length(int slot) {
    long h = mix(slot * 31L + 7);
    return slotSize / 4 + (h >>> 1) % (slotSize / 4);
  }

  /** A uniformly random empty slot, marked occupied (the caller sets its range). */
  int takeEmpty() {
    int s;
    do {
      s = nextSlot();
    } while (occupied[s]);
    occupied[s] = true;
    return s;
  }

  /** A uniformly random occupied slot, marked empty (the caller clears its range). */
  int takeOccupied() {
    int s;
    do {
      s = nextSlot();
    } while (!occupied[s]);
    occupied[s] = false;
    return s;
  }

  /** A uniformly random empty slot, left empty (for lock+unlock of an uncontended range). */
  int peekEmpty() {
    int s;
    do {
      s = nextSlot();
    } while (occupied[s]);
    return s;
  }

  /** {@code n} offsets, each inside a random occupied range (for point lookups that hit). */
  long[] lookupKeys(int n, long keySeed) {
    SplittableRandom r = new SplittableRandom(keySeed);
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      int s;
      do {
        s = r.nextInt(slots);
      } while (!occupied[s]);
      keys[i] = start(s) + r.nextLong(end(s) - start(s) + 1);
    }
    return keys;
  }

  private int nextSlot() {
    // xorshift64*: a few cycles, no allocation, the same for every structure under test
    long x = seed;
    x ^= x >>> 12;
    x ^= x << 25;
    x ^= x >>> 27;
    seed = x;
    return (int) (((x * 0x2545F4914F6CDD1DL) >>> 33) % slots);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
