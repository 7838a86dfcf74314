package io.github.slabkit.slab.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * One slab: a contiguous off-heap segment cut into {@code objects} slots of {@code stride} bytes, with a
 * bitmap of free slots kept on the heap (one bit per object, so object memory is never written by the
 * allocator). Every field but the final ones is guarded by the owning {@link SlabLayer}'s lock.
 */
public final class Slab {
  /** Which list of the slab layer holds this slab. */
  static final int EMPTY = 0;

  static final int PARTIAL = 1;
  static final int FULL = 2;

  final int index;
  final Arena arena;
  public final MemorySegment segment;
  final int objects;
  /** Bit i set: slot i is free (inside the slab layer). */
  final long[] freeBits;

  int freeCount;
  /** Word to start the next free-slot search at. */
  int searchWord;

  int list = -1;
  @Nullable Slab prev;
  @Nullable Slab next;

  Slab(int index, Arena arena, MemorySegment segment, int objects) {
    this.index = index;
    this.arena = arena;
    this.segment = segment;
    this.objects = objects;
    this.freeBits = new long[(objects + 63) >>> 6];
    for (int i = 0; i < objects; i++) {
      freeBits[i >>> 6] |= 1L << i;
    }
    this.freeCount = objects;
  }

  /** Takes a free slot; the caller checked {@code freeCount > 0}. */
  int takeSlot() {
    long[] bits = freeBits;
    for (int w = searchWord, n = bits.length; ; w = (w + 1 == n) ? 0 : w + 1) {
      long word = bits[w];
      if (word != 0) {
        int bit = Long.numberOfTrailingZeros(word);
        bits[w] = word & (word - 1);
        freeCount--;
        searchWord = w;
        return (w << 6) | bit;
      }
    }
  }

  /** Returns a slot; false if it was already free (a double free), in which case nothing changes. */
  boolean returnSlot(int slot) {
    int w = slot >>> 6;
    long mask = 1L << slot;
    long word = freeBits[w];
    if ((word & mask) != 0) {
      return false;
    }
    freeBits[w] = word | mask;
    freeCount++;
    return true;
  }

  boolean isSlotFree(int slot) {
    return (freeBits[slot >>> 6] & (1L << slot)) != 0;
  }

}
