package io.github.slabkit.mempool.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A mempool's counters. The two of the backing fast path ({@code backingHits}, {@code frees}) cost no atomic
 * instruction on platform threads: each platform thread counts in its own {@link ThreadCounters}, written
 * only by that thread with plain stores and summed by readers with opaque loads. An opaque store would be a
 * plain move as well, but the JIT may not keep other fields in registers across it, which cost every
 * allocation and free the reloads of the backing cache's fields. A {@code long} store is single-copy atomic
 * on the 64-bit platforms JDK 25 runs on, so a reader sees counts the owner wrote, never torn ones; it sees
 * the latest once the owner synchronizes with it and in practice at once; the sums are exact once the
 * writers are quiescent (e.g. after {@code join}). A thread finds its counters in a thread-id indexed table (the slab
 * cache's trick for its magazines) rather than through {@code ThreadLocal.get()}, which alone cost more than
 * the rest of a backing hit. Virtual threads, which may
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
    /** The platform thread that writes these counters, or null for a context's (its owner checks itself). */
    final @Nullable Thread owner;

    /** The thread that writes these counters, a context's owner included: once it ended they can be folded. */
    final Thread writer;

    ThreadCounters(@Nullable Thread owner, Thread writer) {
      this.owner = owner;
      this.writer = writer;
    }

    /** Counts one allocation the backing allocator served; owner only. */
    public void addBackingHit() {
      backingHits++; // plain: see the class comment
    }

    /** Counts one free; owner only. */
    public void addFree() {
      frees++;
    }
  }

  private static final int BY_THREAD = 256;

  /**
   * The fast lookup: a thread-id indexed table. A slot holds the counters of the last platform thread that
   * claimed it; a reader uses them only if their final {@code owner} is itself, so a racy plain store is
   * safe. Ids that collide modulo the table size fall back to {@link #local}.
   */
  private final @Nullable ThreadCounters[] byThread = new ThreadCounters[BY_THREAD];

  private final ThreadLocal<ThreadCounters> local =
      ThreadLocal.withInitial(() -> register(Thread.currentThread()));

  /**
   * The counters of every live writer (platform thread or open context), guarded by {@code this}. Those of a
   * closed context or an ended thread are folded into the adders below ({@link #retire}, {@link #register}),
   * so a program that takes a context per task, or runs through many short-lived threads, keeps this array
   * (and every sum over it) as small as its live writers.
   */
  private ThreadCounters[] cells = {};

  private final LongAdder backingHits = new LongAdder();
  private final LongAdder reserveHits = new LongAdder();
  private final LongAdder frees = new LongAdder();
  private final LongAdder failures = new LongAdder();

  /**
   * Counters for an allocation context, summed with the others; folded into the pool's by {@link #retire}
   * when the context ends.
   *
   * @return new counters, written only by the context's owner
   */
  public ThreadCounters newContextCounters() {
    return register(null);
  }

  /**
   * Folds the counts of a context that ended into the shared adders and forgets its counters. Called by the
   * context's owner after its last count, so its plain stores are its own to read.
   *
   * @param c counters from {@link #newContextCounters()}, written no more
   */
  public synchronized void retire(ThreadCounters c) {
    ThreadCounters[] a = cells;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == c) {
        fold(c);
        ThreadCounters[] b = new ThreadCounters[a.length - 1];
        System.arraycopy(a, 0, b, 0, i);
        System.arraycopy(a, i + 1, b, i, b.length - i);
        cells = b;
        return;
      }
    }
  }

  /**
   * Registers new counters, first folding those whose writer ended: a thread's termination synchronizes-with
   * the {@code isAlive()} that returns false (JLS 17.4.4), so their last plain stores are visible here.
   */
  private synchronized ThreadCounters register(@Nullable Thread owner) {
    Thread me = Thread.currentThread();
    ThreadCounters c = new ThreadCounters(owner, me);
    int live = 0;
    ThreadCounters[] a = cells;
    ThreadCounters[] b = new ThreadCounters[a.length + 1];
    for (ThreadCounters x : a) {
      if (x.writer.isAlive()) {
        b[live++] = x;
      } else {
        fold(x);
      }
    }
    b[live++] = c;
    cells = live == b.length ? b : Arrays.copyOf(b, live);
    return c;
  }

  /** Adds counters that are written no more to the adders. Under {@code this}. */
  private void fold(ThreadCounters c) {
    backingHits.add(c.backingHits);
    frees.add(c.frees);
  }

  void addBackingHits(long n) {
    Thread t = Thread.currentThread();
    ThreadCounters c = mine(t);
    if (c == null) {
      backingHits.add(n);
      return;
    }
    c.backingHits += n;
  }

  /**
   * The calling thread's counters, or null on a virtual thread; for a caller that looks them up once, before
   * a fence, and counts after it ({@link #addFrees}).
   */
  @Nullable ThreadCounters mine() {
    return mine(Thread.currentThread());
  }

  /**
   * Counts frees in {@code c}, the calling thread's counters from {@link #mine()}, or in the shared adder if
   * it is null (a virtual thread).
   */
  void addFrees(@Nullable ThreadCounters c, long n) {
    if (c == null) {
      frees.add(n);
      return;
    }
    c.frees += n;
  }

  /**
   * The calling platform thread's counters (two dependent loads and a compare when its table slot is its
   * own), or null on a virtual thread, which counts in the shared adders.
   */
  private @Nullable ThreadCounters mine(Thread t) {
    ThreadCounters c = byThread[(int) t.threadId() & (BY_THREAD - 1)];
    if (c != null && c.owner == t) {
      return c;
    }
    return t.isVirtual() ? null : claim(t);
  }

  private ThreadCounters claim(Thread t) {
    ThreadCounters c = local.get();
    int i = (int) t.threadId() & (BY_THREAD - 1);
    ThreadCounters cur = byThread[i];
    // Take the slot only if it is free or its thread ended, so two live threads whose ids collide do not
    // keep overwriting it (one of them stays on the ThreadLocal path).
    if (cur == null || cur.owner == null || !cur.owner.isAlive()) {
      byThread[i] = c;
    }
    return c;
  }

  void addReserveHits(long n) {
    reserveHits.add(n);
  }

  void addFailure() {
    failures.increment();
  }

  // Under this object's lock, as the folds, so that no count is seen twice or missed while it is folded.
  synchronized long backingHits() {
    long sum = backingHits.sum();
    for (ThreadCounters c : cells) {
      sum += (long) TC_BACKING_HITS.getOpaque(c);
    }
    return sum;
  }

  synchronized long frees() {
    long sum = frees.sum();
    for (ThreadCounters c : cells) {
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
