package io.github.slabkit.mempool.internal;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Checked mode's map from a held handle to its holder: open addressing with linear probing over primitive
 * {@code long} keys (no boxing), backward-shift deletion, thread safe by its monitor. Handles are never
 * {@code 0}, which marks an empty slot.
 */
final class HandleOwners {
  private long[] keys = new long[16];
  private HoldAndWaitCheck.@Nullable Holdings[] values = new HoldAndWaitCheck.Holdings[16];
  private int size;

  synchronized HoldAndWaitCheck.@Nullable Holdings put(long h, HoldAndWaitCheck.Holdings v) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int mask = keys.length - 1;
    for (int i = slot(h, mask); ; i = (i + 1) & mask) {
      if (keys[i] == 0) {
        keys[i] = h;
        values[i] = v;
        size++;
        return null;
      }
      if (keys[i] == h) {
        HoldAndWaitCheck.Holdings old = values[i];
        values[i] = v;
        return old;
      }
    }
  }

  /** Maps {@code h} to {@code v} unless it is mapped already; returns the current holder or null. */
  synchronized HoldAndWaitCheck.@Nullable Holdings putIfAbsent(long h, HoldAndWaitCheck.Holdings v) {
    int mask = keys.length - 1;
    for (int i = slot(h, mask); keys[i] != 0; i = (i + 1) & mask) {
      if (keys[i] == h) {
        return values[i];
      }
    }
    return put(h, v);
  }

  synchronized HoldAndWaitCheck.@Nullable Holdings remove(long h) {
    int mask = keys.length - 1;
    for (int i = slot(h, mask); keys[i] != 0; i = (i + 1) & mask) {
      if (keys[i] == h) {
        HoldAndWaitCheck.Holdings old = values[i];
        shiftBack(i, mask);
        size--;
        return old;
      }
    }
    return null;
  }

  /** Removes every entry, returning the holders (one per entry, with repeats). */
  synchronized HoldAndWaitCheck.Holdings[] clear() {
    HoldAndWaitCheck.Holdings[] out = new HoldAndWaitCheck.Holdings[size];
    int n = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != 0) {
        HoldAndWaitCheck.Holdings v = values[i];
        if (v != null) {
          out[n++] = v;
        }
        keys[i] = 0;
        values[i] = null;
      }
    }
    size = 0;
    return Arrays.copyOf(out, n);
  }

  synchronized int size() {
    return size;
  }

  /** Backward-shift deletion: moves later entries of the probe run into the hole at {@code hole}. */
  private void shiftBack(int hole, int mask) {
    int i = hole;
    for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
      int home = slot(keys[j], mask);
      // j's entry may move to i if its home is not in the cyclic range (i, j]
      boolean movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        keys[i] = keys[j];
        values[i] = values[j];
        i = j;
      }
    }
    keys[i] = 0;
    values[i] = null;
  }

  private void grow() {
    long[] ok = keys;
    HoldAndWaitCheck.@Nullable Holdings[] ov = values;
    keys = new long[ok.length * 2];
    values = new HoldAndWaitCheck.Holdings[ok.length * 2];
    size = 0;
    int mask = keys.length - 1;
    for (int k = 0; k < ok.length; k++) {
      if (ok[k] != 0) {
        int i = slot(ok[k], mask);
        while (keys[i] != 0) {
          i = (i + 1) & mask;
        }
        keys[i] = ok[k];
        values[i] = ov[k];
        size++;
      }
    }
    Arrays.fill(ov, null);
  }

  private static int slot(long h, int mask) {
    long x = h * 0x9E3779B97F4A7C15L;
    return (int) (x ^ (x >>> 32)) & mask;
  }
}
