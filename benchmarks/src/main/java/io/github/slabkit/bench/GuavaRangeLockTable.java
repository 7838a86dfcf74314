package io.github.slabkit.bench;

import com.google.common.collect.Range;
import com.google.common.collect.RangeMap;
import com.google.common.collect.TreeRangeMap;

/**
 * The range-lock anchor of issue 4: exclusive locks on inclusive ranges kept in a Guava
 * {@code TreeRangeMap} under one monitor. {@link #lock} waits while any part of the range is locked.
 */
final class GuavaRangeLockTable {
  private final RangeMap<Long, Thread> locked = TreeRangeMap.create();

  synchronized void lock(long start, long end) throws InterruptedException {
    Range<Long> r = Range.closed(start, end);
    while (!locked.subRangeMap(r).asMapOfRanges().isEmpty()) {
      wait();
    }
    locked.put(r, Thread.currentThread());
  }

  synchronized void unlock(long start, long end) {
    locked.remove(Range.closed(start, end));
    notifyAll();
  }
}
