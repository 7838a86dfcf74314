package io.github.slabkit.bench;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The hand-rolled anchor of issue 4: a range map a user would write on {@code TreeMap<Long, long[]>}
 * (key = start, value = {end, bits}), with Guava's {@code putCoalescing}/{@code remove} semantics:
 * {@link #set} overwrites the value over {@code [start, end]} and merges with touching neighbours of
 * equal value; {@link #clear} removes {@code [start, end]}, splitting ranges that stick out.
 */
final class TreeMapRangeMap {
  private static final int END = 0;
  private static final int BITS = 1;

  private final TreeMap<Long, long[]> map = new TreeMap<>();

  int size() {
    return map.size();
  }

  /** The {end, bits} of the range containing {@code offset}, with its start as the key; or null. */
  Map.@Nullable Entry<Long, long[]> get(long offset) {
    Map.Entry<Long, long[]> e = map.floorEntry(offset);
    return e != null && e.getValue()[END] >= offset ? e : null;
  }

  void set(long start, long end, long bits) {
    clear(start, end);
    long s = start;
    long e = end;
    Map.Entry<Long, long[]> prev = map.lowerEntry(s);
    if (prev != null && prev.getValue()[END] == s - 1 && prev.getValue()[BITS] == bits) {
      s = prev.getKey();
      map.remove(prev.getKey());
    }
    long[] next = e == Long.MAX_VALUE ? null : map.get(e + 1);
    if (next != null && next[BITS] == bits) {
      map.remove(e + 1);
      e = next[END];
    }
    map.put(s, new long[] {e, bits});
  }

  void clear(long start, long end) {
    Map.Entry<Long, long[]> f = map.floorEntry(start);
    if (f != null && f.getKey() < start && f.getValue()[END] >= start) {
      long[] v = f.getValue();
      long oldEnd = v[END];
      v[END] = start - 1;
      if (oldEnd > end) {
        map.put(end + 1, new long[] {oldEnd, v[BITS]});
        return;
      }
    }
    Iterator<Map.Entry<Long, long[]>> it = map.subMap(start, true, end, true).entrySet().iterator();
    long[] tail = null;
    while (it.hasNext()) {
      long[] v = it.next().getValue();
      if (v[END] > end) {
        tail = v;
      }
      it.remove();
    }
    if (tail != null) { // the last range stuck out past end: keep its tail, reusing the array
      map.put(end + 1, tail);
    }
  }
}
