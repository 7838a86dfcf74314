package io.github.slabkit.mempool.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * A mempool's counters. The two of the backing fast path ({@code backingHits}, {@code frees}) cost no atomic
 * instruction on platform threads: each platform thread counts in its own {@link ThreadCounters}, written
 * only by that thread with opaque stores and summed by readers with opaque loads (exact once the writers are
 * quiescent, e.g. after {@code join}). The thread that created the pool uses {@code firstCounters} without
 * even the {@code ThreadLocal} lookup (the pool keeps a reference to that thread). Virtual threads, which may
 * be millions, count in shared {@link LongAdder}s instead, as do the slower paths. An uncontended
 * {@code LongAdder} increment is a locked compare-and-swap, which alone made allocate+free through the pool
 * cost about 2.5x the bare slab cache.
 */
public final class PoolCounters {
  /**
   * The fast path's counters of one platform thread, or of one allocation context (a {@code MempoolLocal},
   * on any kind of thread); single writer.
   */
  public static final class ThreadCounters {
    long backingHits;
    long frees;

    ThreadCounters() {}

    /** Counts one allocation the backing allocator served; owner only. */
    public void addBackingHit() {
      TC_BACKING_HITS.setOpaque(this, backingHits + 1);
    }

    /** Counts one free; owner only. */
    public void addFree() {
      TC_FREES.setOpaque(this, frees + 1);
    }
  }

  private final Thread firstThread = Thread.currentThread();
  private final ThreadCounters firstCounters = new ThreadCounters();
  private final ThreadLocal<ThreadCounters> local = ThreadLocal.withInitial(this::register);

  /** Every platform thread's counters, guarded by {@code this}; kept after the thread ends (counts stay). */
  private ThreadCounters[] cells = {firstCounters};

  private final LongAdder backingHits = new LongAdder();
  private final LongAdder reserveHits = new LongAdder();
  private final LongAdder frees = new LongAdder();
  private final LongAdder failures = new LongAdder();

  /**
   * Counters for an allocation context, summed with the others; kept after the context ends.
   *
   * @return new counters, written only by the context's owner
   */
  public ThreadCounters newContextCounters() {
    return register();
  }

  private synchronized ThreadCounters register() {
    ThreadCounters c = new ThreadCounters();
    ThreadCounters[] a = Arrays.copyOf(cells, cells.length + 1);
    a[a.length - 1] = c;
    cells = a;
    return c;
  }

  private synchronized ThreadCounters[] cells() {
    return cells;
  }

  void addBackingHits(long n) {
    Thread t = Thread.currentThread();
    ThreadCounters c;
    if (t == firstThread) {
      c = firstCounters; // the common single-owner case skips the ThreadLocal lookup
    } else if (t.isVirtual()) {
      backingHits.add(n);
      return;
    } else {
      c = local.get();
    }
    TC_BACKING_HITS.setOpaque(c, c.backingHits + n);
  }

  void addFrees(long n) {
    Thread t = Thread.currentThread();
    ThreadCounters c;
    if (t == firstThread) {
      c = firstCounters;
    } else if (t.isVirtual()) {
      frees.add(n);
      return;
    } else {
      c = local.get();
    }
    TC_FREES.setOpaque(c, c.frees + n);
  }

  void addReserveHits(long n) {
    reserveHits.add(n);
  }

  void addFailure() {
    failures.increment();
  }

  long backingHits() {
    long sum = backingHits.sum();
    for (ThreadCounters c : cells()) {
      sum += (long) TC_BACKING_HITS.getOpaque(c);
    }
    return sum;
  }

  long frees() {
    long sum = frees.sum();
    for (ThreadCounters c : cells()) {
      sum += (long) TC_FREES.getOpaque(c);
    }
    return sum;
  }

  long reserveHits() {
    return reserveHits.sum();
  }

  long failures() {
    return failures.sum();
  }

  // VarHandle mechanics
  private static final VarHandle TC_BACKING_HITS;
  private static final VarHandle TC_FREES;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      TC_BACKING_HITS = l.findVarHandle(ThreadCounters.class, "backingHits", long.class);
      TC_FREES = l.findVarHandle(ThreadCounters.class, "frees", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
