package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The mempool algorithm: a reserve of preallocated objects in front of a backing allocator, after the
 * kernel's {@code mm/mempool.c}.
 *
 * <h2>Implementation overview</h2>
 * The reserve is a LIFO array of handles, {@code reserve[0..curr)}, guarded by {@code lock}. Invariants under
 * the lock: {@code 0 <= curr <= minNr <= reserve.length}; every handle in the reserve is owned by the pool
 * (allocated from the backing allocator, not handed out); {@code waiters} is the number of tickets queued in
 * {@link ReservationQueue} that demand objects of this pool.
 * <ul>
 *   <li>Allocation ({@link #allocateFast}): the backing allocator's {@code tryAllocate()} (no waiting, no
 *       reclaim), then the reserve, but only while no ticket waits for this pool: a waiter is served strictly
 *       first come, first served, so a newcomer may not take the object a waiter is waiting for. Otherwise
 *       the caller queues a {@link Ticket} and waits in {@link ReservationQueue}.
 *   <li>Free ({@link #free}): the handle is checked by the backing allocator first, so a foreign handle
 *       changes nothing. If the reserve is below {@code minNr} the object refills it and the queue is asked to
 *       grant waiters; otherwise it goes back to the backing allocator.
 *   <li>While a ticket waits, the reserve only grows (frees, refills) or is taken from by the queue's grant,
 *       which holds the queue lock; this is what makes the queue's two-pass check-then-take grant safe.
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * {@code curr} and {@code minNr} are written only under {@code lock}, with opaque stores (the kernel's
 * {@code WRITE_ONCE}), and read under the lock plainly or, on the free fast path, without the lock by an
 * opaque load ({@code READ_ONCE}). The unlocked test "{@code curr < minNr}" decides whether a freed object
 * refills the reserve. It must not miss: if {@code curr + allocatedFromReserve == minNr} the test must see
 * {@code curr < minNr}, or an object taken from the reserve is never given back to it and a thread waiting on
 * an empty reserve may wait a whole {@code waitTimeout} although frees happen. It suffices that the
 * {@code curr} a freeing thread reads is not older than the decrement that took the very object it frees
 * (Tejun Heo's argument in {@code mempool_free()}: any later decrement is either seen too, or was followed
 * by an increment back to {@code minNr}, after which the same holds for the objects allocated then).
 * <ul>
 *   <li>If the handle reached the freeing thread with a happens-before edge (any {@code java.util.concurrent}
 *       hand-off, a lock, a volatile), the decrement happens-before the opaque load, which therefore returns
 *       it or a later value (JLS 17.4.5, happens-before consistency; opaque loads are also coherent).
 *   <li>A handle can also travel through a data race (a plain field another thread polls). Then the Java
 *       memory model alone does not order the decrement before the freeing thread's load of {@code curr}:
 *       that thread could read the handle and still read a {@code curr} from before the allocation. The kernel
 *       has this fringe case and pairs an {@code smp_wmb()} after taking from the reserve with an
 *       {@code smp_rmb()} at the start of {@code mempool_free()}. We do the same with
 *       {@link VarHandle#storeStoreFence()} after the reserve is taken from (the store of {@code curr} is
 *       ordered before the caller's later store of the handle) and {@link VarHandle#loadLoadFence()} before the
 *       unlocked load (the caller's load of the handle is ordered before the load of {@code curr}). On x86 both
 *       fences compile to nothing but forbid the compiler to reorder.
 * </ul>
 * The re-check under the lock makes the decision exact; the unlocked test only spares the lock when the
 * reserve is full. {@code waiters} and {@code reserveTakes} are accessed only under {@code lock} (and written
 * only while also holding the queue lock). Handles in {@code reserve} are published by the lock. The counters
 * are in {@link PoolCounters} (per-thread on the fast path); a snapshot is not atomic across fields.
 *
 * <p>Free does not call {@code backing.checkHandle} when the object goes back to the backing allocator, whose
 * {@code free} validates it anyway; it does before a handle is kept in the reserve.
 */
public final class MempoolCore {
  private final String name;
  private final ObjectAllocator backing;
  private final long waitTimeoutNanos;

  /** Guards the reserve, the writes of curr and minNr, waiters, reserveTakes and the wait statistics. */
  private final Object lock = new Object();

  private long[] reserve;
  /** Objects in the reserve. Written under lock with opaque stores; read unlocked with opaque loads. */
  private int curr;
  /** The reserve's target size. Written under lock (and the queue lock) with opaque stores. */
  private int minNr;
  /** Tickets queued that demand this pool. Under lock; written only with the queue lock held too. */
  private int waiters;
  /** Objects that ever left the reserve to a caller or a ticket (fairness statistics). Under lock. */
  private long reserveTakes;
  private long waits;
  private long totalWaitNanos;
  private long maxWaitNanos;

  /** Scan epoch in which an earlier ticket blocked this pool. Only under the queue lock. */
  long blockedEpoch;

  private volatile boolean closed;

  /** Debug mode: objects in the reserve are poisoned, and checked when they leave it. */
  private final boolean poison;

  private final java.util.concurrent.atomic.AtomicLong debugReports = new java.util.concurrent.atomic.AtomicLong();

  private final PoolCounters counters = new PoolCounters();

  private MempoolCore(
      String name, ObjectAllocator backing, long[] reserve, long waitTimeoutNanos, boolean poison) {
    this.poison = poison;
    this.name = name;
    this.backing = backing;
    this.reserve = reserve;
    this.curr = reserve.length;
    this.minNr = reserve.length;
    this.waitTimeoutNanos = waitTimeoutNanos;
  }

  /**
   * Creates a pool and preallocates its reserve, all or nothing.
   *
   * @param name the pool's name
   * @param backing the backing allocator
   * @param minNr the reserve size, at least 1
   * @param waitTimeoutNanos how long a waiter sleeps before it retries the backing allocator with reclaim
   * @return the pool
   * @throws AllocationFailedException if the backing allocator cannot provide {@code minNr} objects
   */
  public static MempoolCore create(String name, ObjectAllocator backing, int minNr, long waitTimeoutNanos) {
    return create(name, backing, minNr, waitTimeoutNanos, false);
  }

  /**
   * Creates a pool as {@link #create(String, ObjectAllocator, int, long)} does, optionally poisoning reserved
   * elements (debug mode).
   *
   * @param name the pool's name
   * @param backing the backing allocator
   * @param minNr the reserve size, at least 1
   * @param waitTimeoutNanos how long a waiter sleeps before it retries the backing allocator with reclaim
   * @param poison whether objects in the reserve are poisoned and checked when they leave it
   * @return the pool
   */
  public static MempoolCore create(
      String name, ObjectAllocator backing, int minNr, long waitTimeoutNanos, boolean poison) {
    long[] reserve = new long[minNr];
    try {
      backing.allocateBulk(reserve, minNr);
    } catch (AllocationFailedException e) {
      AllocationFailedException f =
          new AllocationFailedException(
              name,
              minNr * backing.objectSize(),
              e.limitBytes(),
              e.usedBytes(),
              name
                  + ": cannot create the mempool: preallocating its reserve of minNr="
                  + minNr
                  + " objects of "
                  + backing.objectSize()
                  + " B from '"
                  + backing.name()
                  + "' failed (nothing is held): "
                  + e.getMessage()
                  + "; lower minNr or give the backing allocator more memory");
      f.initCause(e);
      throw f;
    }
    if (poison) {
      for (long h : reserve) {
        ReservePoison.poison(backing, h);
      }
    }
    return new MempoolCore(name, backing, reserve, waitTimeoutNanos, poison);
  }

  /**
   * Returns the pool's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the backing allocator.
   *
   * @return the backing allocator
   */
  public ObjectAllocator backing() {
    return backing;
  }

  /**
   * Returns the wait before a waiter retries the backing allocator.
   *
   * @return nanoseconds
   */
  public long waitTimeoutNanos() {
    return waitTimeoutNanos;
  }

  /**
   * Returns the current reserve size target.
   *
   * @return minNr
   */
  public int minNr() {
    return (int) MIN_NR.getOpaque(this);
  }

  /**
   * Returns the number of objects in the reserve now.
   *
   * @return the level
   */
  public int reserveLevel() {
    return (int) CURR.getOpaque(this);
  }

  /**
   * Returns whether the pool is closed.
   *
   * @return whether closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Throws if the pool is closed.
   *
   * @param operation the attempted operation, for the message
   */
  public void checkOpen(String operation) {
    if (closed) {
      throw new AllocatorClosedException(name, operation);
    }
  }

  // ---------------------------------------------------------------- allocation without waiting

  /**
   * Steps (1) and (2) of the algorithm: the backing allocator without waiting or reclaim, then the reserve if
   * no ticket waits for it. Counts a hit, never a failure.
   *
   * @return a handle or {@code 0}
   */
  public long allocateFast() {
    long h = backing.tryAllocate();
    if (h != ObjectAllocator.NO_HANDLE) {
      counters.addBackingHits(1);
      return h;
    }
    synchronized (lock) {
      int n = curr;
      if (n == 0 || waiters != 0) {
        return ObjectAllocator.NO_HANDLE;
      }
      h = reserve[--n];
      reserve[n] = ObjectAllocator.NO_HANDLE;
      CURR.setOpaque(this, n);
      reserveTakes++;
    }
    VarHandle.storeStoreFence(); // smp_wmb(): the store of curr before the caller's store of h
    counters.addReserveHits(1);
    leftReserve(h);
    MempoolEvents.reserveUse(name, 1, (int) CURR.getOpaque(this));
    return h;
  }

  /**
   * Fills {@code dst[off..off+n)} from the backing allocator without waiting or reclaim, as far as it goes.
   *
   * @param dst destination
   * @param off first slot
   * @param n slots wanted
   * @return how many were filled (a prefix)
   */
  public int fillFromBacking(long[] dst, int off, int n) {
    int got = 0;
    while (got < n) {
      long h = backing.tryAllocate();
      if (h == ObjectAllocator.NO_HANDLE) {
        break;
      }
      dst[off + got++] = h;
    }
    return got;
  }

  /**
   * Takes exactly {@code n} objects from the reserve into {@code dst[off..off+n)}, or none, and only if no
   * ticket waits for this pool. Not counted: the caller counts with {@link #countAllocated} once its whole
   * demand succeeded.
   *
   * @param dst destination
   * @param off first slot
   * @param n how many, at least 1
   * @return whether they were taken
   */
  public boolean takeFromReserve(long[] dst, int off, int n) {
    synchronized (lock) {
      int c = curr;
      if (c < n || waiters != 0) {
        return false;
      }
      c -= n;
      System.arraycopy(reserve, c, dst, off, n);
      Arrays.fill(reserve, c, c + n, ObjectAllocator.NO_HANDLE);
      CURR.setOpaque(this, c);
      reserveTakes += n;
    }
    VarHandle.storeStoreFence(); // smp_wmb(), as in allocateFast
    for (int i = 0; i < n; i++) {
      leftReserve(dst[off + i]);
    }
    MempoolEvents.reserveUse(name, n, (int) CURR.getOpaque(this));
    return true;
  }

  /**
   * Allocates one object from the backing allocator with reclaim allowed but without waiting, for a caller
   * that may not wait ({@code tryAllocate(0, unit)}).
   *
   * @return a handle or {@code 0}
   */
  public long allocateReclaim() {
    long h;
    try {
      h = backing.tryAllocate(0, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ObjectAllocator.NO_HANDLE;
    }
    if (h != ObjectAllocator.NO_HANDLE) {
      counters.addBackingHits(1);
    }
    return h;
  }

  /**
   * Refills the reserve from the backing allocator with reclaim allowed but without waiting: at most
   * {@code max} objects and never above {@code minNr}. This is step (3)'s "retry the backing allocator with
   * reclaim"; the objects go to the reserve, where the queue grants them in order.
   *
   * @param max the most objects to add
   * @return whether the reserve grew while tickets wait for it
   */
  public boolean refill(int max) {
    boolean grew = false;
    for (int i = 0; i < max; i++) {
      if (closed || (int) CURR.getOpaque(this) >= (int) MIN_NR.getOpaque(this)) {
        break;
      }
      long h;
      try {
        h = backing.tryAllocate(0, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the waiting loop decides what an interrupt means
        break;
      }
      if (h == ObjectAllocator.NO_HANDLE) {
        break;
      }
      enteringReserve(h);
      boolean kept;
      synchronized (lock) {
        int c = curr;
        kept = c < minNr && !closed;
        if (kept) {
          reserve[c] = h;
          CURR.setOpaque(this, c + 1);
          grew = waiters != 0;
        }
      }
      if (!kept) {
        backing.free(h);
        break;
      }
    }
    return grew;
  }

  /**
   * Counts objects handed out by a successful all-or-nothing allocation.
   *
   * @param fromBacking how many came from the backing allocator
   * @param fromReserve how many came from the reserve
   */
  public void countAllocated(int fromBacking, int fromReserve) {
    if (fromBacking > 0) {
      counters.addBackingHits(fromBacking);
    }
    if (fromReserve > 0) {
      counters.addReserveHits(fromReserve);
    }
  }

  /** Counts a {@code tryAllocate} that returned {@code 0}. */
  public void countFailure() {
    counters.addFailure();
  }

  // ---------------------------------------------------------------- free

  /**
   * Frees an object: checked by the backing allocator first; refills the reserve if it is below
   * {@code minNr} (waking waiters), else returns it to the backing allocator.
   *
   * @param h the handle
   * @throws InvalidHandleException if the handle is refused; nothing changes
   */
  public void free(long h) {
    checkOpen("free");
    VarHandle.loadLoadFence(); // smp_rmb(): the caller's load of h before the load of curr
    if ((int) CURR.getOpaque(this) < (int) MIN_NR.getOpaque(this) && refillWith(h)) {
      counters.addFrees(1);
      return;
    }
    try {
      backing.free(h); // validates h itself: a refused handle changes nothing
    } catch (InvalidHandleException e) {
      throw refused(h, e);
    }
    counters.addFrees(1);
  }

  /** The reserve looked below minNr: check the handle, then re-check under the lock and keep it. */
  private boolean refillWith(long h) {
    try {
      backing.checkHandle(h);
    } catch (InvalidHandleException e) {
      throw refused(h, e);
    }
    enteringReserve(h);
    boolean wake;
    synchronized (lock) {
      int c = curr;
      if (c >= minNr) {
        return false;
      }
      if (HoldAndWaitCheck.enabled()) {
        checkNotInReserve(h, c);
      }
      reserve[c] = h;
      CURR.setOpaque(this, c + 1);
      wake = waiters != 0;
    }
    if (wake) {
      ReservationQueue.grantWaiters();
    }
    return true;
  }

  private void checkNotInReserve(long h, int c) {
    for (int i = 0; i < c; i++) {
      if (reserve[i] == h) {
        throw new InvalidHandleException(
            name, h, "is already in the mempool's reserve: double free (detected in checked mode)");
      }
    }
  }

  private InvalidHandleException refused(long h, InvalidHandleException cause) {
    InvalidHandleException e =
        new InvalidHandleException(
            name,
            h,
            "was refused by the backing allocator '"
                + backing.name()
                + "' ("
                + cause.getMessage()
                + "); the mempool is unchanged");
    e.initCause(cause);
    return e;
  }

  /**
   * Returns objects that a ticket held, {@code hs[from..to)}: the reserve first, the rest to the backing
   * allocator; clears the slots. After close everything goes to the backing allocator.
   *
   * @param hs the handles
   * @param from first
   * @param to end, exclusive
   * @param countAsFrees whether they were counted as allocated (a held reservation) or not (a rollback)
   * @return whether the reserve grew while tickets wait for it (the caller then grants waiters)
   */
  public boolean giveBack(long[] hs, int from, int to, boolean countAsFrees) {
    if (from >= to) {
      return false;
    }
    int i = from;
    boolean wake = false;
    if (poison) {
      for (int k = from; k < to; k++) {
        enteringReserve(hs[k]);
      }
    }
    VarHandle.loadLoadFence(); // as in refillWith
    if (!closed && (int) CURR.getOpaque(this) < (int) MIN_NR.getOpaque(this)) {
      synchronized (lock) {
        int c = curr;
        int m = closed ? c : minNr;
        while (i < to && c < m) {
          reserve[c++] = hs[i];
          hs[i++] = ObjectAllocator.NO_HANDLE;
        }
        CURR.setOpaque(this, c);
        wake = i > from && waiters != 0;
      }
    }
    for (; i < to; i++) {
      backing.free(hs[i]);
      hs[i] = ObjectAllocator.NO_HANDLE;
    }
    if (countAsFrees) {
      counters.addFrees(to - from);
    }
    return wake;
  }

  // ---------------------------------------------------------------- used by ReservationQueue (queue lock held)

  int reserveLevelLocked() {
    synchronized (lock) {
      return curr;
    }
  }

  long reserveTakesLocked() {
    synchronized (lock) {
      return reserveTakes;
    }
  }

  void addWaiter() {
    synchronized (lock) {
      waiters++;
    }
  }

  void removeWaiter() {
    synchronized (lock) {
      waiters--;
    }
  }

  /** Grants n objects to a waiting ticket; the queue checked they are there and removes the ticket's wait. */
  void grant(long[] dst, int off, int n) {
    synchronized (lock) {
      int c = curr - n;
      System.arraycopy(reserve, c, dst, off, n);
      Arrays.fill(reserve, c, c + n, ObjectAllocator.NO_HANDLE);
      CURR.setOpaque(this, c);
      reserveTakes += n;
      waiters--;
    }
    counters.addReserveHits(n);
  }

  boolean hasWaitersLocked() {
    synchronized (lock) {
      return waiters != 0;
    }
  }

  void recordWait(long nanos) {
    MempoolEvents.poolWait(name, nanos);
    synchronized (lock) {
      waits++;
      totalWaitNanos += nanos;
      maxWaitNanos = Math.max(maxWaitNanos, nanos);
    }
  }

  // ---------------------------------------------------------------- debug mode

  /** Poisons an object about to enter the reserve (debug mode); the caller owns it. */
  private void enteringReserve(long h) {
    if (poison) {
      ReservePoison.poison(backing, h);
    }
  }

  /** Checks the poison of an object that just left the reserve (debug mode); the caller owns it. */
  private void leftReserve(long h) {
    if (poison && ReservePoison.check(name, backing, h) >= 0) {
      debugReports.incrementAndGet();
    }
  }

  /**
   * Returns how many poison reports ({@code BUG <pool>: ...}) were made.
   *
   * @return the count, 0 unless poisoning is on
   */
  public long debugReports() {
    return debugReports.get();
  }

  /**
   * Whether reserved elements are poisoned.
   *
   * @return the flag
   */
  public boolean poisoning() {
    return poison;
  }

  // ---------------------------------------------------------------- resize, close, statistics

  /**
   * Changes {@code minNr}. Shrinking returns the surplus to the backing allocator now; growing refills from
   * the backing allocator without waiting as far as it goes and leaves the rest to later frees (the kernel's
   * {@code mempool_resize} may sleep instead).
   *
   * @param newMinNr the new target, at least 1
   * @throws IllegalStateException if a waiting ticket demands more than {@code newMinNr} of this pool
   */
  public void resize(int newMinNr) {
    long[] surplus;
    int nSurplus;
    synchronized (ReservationQueue.LOCK) {
      checkOpen("resize");
      int demanded = ReservationQueue.maxQueuedDemandLocked(this);
      if (demanded > newMinNr) {
        throw new IllegalStateException(
            name
                + ": cannot resize minNr to "
                + newMinNr
                + " while a waiting allocation or reservation demands "
                + demanded
                + " objects of this pool: it could never be granted. Resize after it is served.");
      }
      synchronized (lock) {
        if (newMinNr > reserve.length) {
          reserve = Arrays.copyOf(reserve, newMinNr);
        }
        int c = curr;
        nSurplus = Math.max(0, c - newMinNr);
        surplus = Arrays.copyOfRange(reserve, c - nSurplus, c);
        Arrays.fill(reserve, c - nSurplus, c, ObjectAllocator.NO_HANDLE);
        CURR.setOpaque(this, c - nSurplus);
        MIN_NR.setOpaque(this, newMinNr);
      }
    }
    for (int i = 0; i < nSurplus; i++) {
      backing.free(surplus[i]);
    }
    if (refill(newMinNr)) {
      ReservationQueue.grantWaiters();
    }
  }

  /**
   * Closes the pool: the reserve goes back to the backing allocator (which is not closed).
   *
   * @throws IllegalStateException if tickets wait for the pool (nothing is closed then), or, after closing,
   *     if objects are still out (they are leaked to the backing allocator)
   */
  public void close() {
    long[] rest;
    int n;
    synchronized (ReservationQueue.LOCK) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (waiters != 0) {
          throw new IllegalStateException(
              name
                  + ": close() while "
                  + waiters
                  + " allocation(s) or reservation(s) wait for the pool; the pool stays open. Stop the"
                  + " waiting threads first (close() must not race with other operations).");
        }
        closed = true;
        n = curr;
        rest = Arrays.copyOf(reserve, n);
        Arrays.fill(reserve, ObjectAllocator.NO_HANDLE);
        CURR.setOpaque(this, 0);
      }
    }
    for (int i = 0; i < n; i++) {
      backing.free(rest[i]);
    }
    long live = liveObjects();
    if (live != 0) {
      throw new IllegalStateException(
          name
              + ": closed with "
              + live
              + " object(s) still allocated (taken and not freed, or held by open reservations); its reserve"
              + " of "
              + n
              + " went back to '"
              + backing.name()
              + "', the "
              + live
              + " live object(s) are leaked to it: free them to the backing allocator, or free every object"
              + " and close reservations before closing the pool");
    }
  }

  /**
   * Returns objects handed out and not freed (including those held untaken by reservations).
   *
   * @return the count
   */
  public long liveObjects() {
    return counters.backingHits() + counters.reserveHits() - counters.frees();
  }

  /**
   * Returns the counters: {backingHits, reserveHits, frees, failures, waits, totalWaitNanos, maxWaitNanos,
   * curr, minNr, waiters}.
   *
   * @return the values
   */
  public long[] counters() {
    long w;
    long tw;
    long mw;
    int c;
    int m;
    int q;
    synchronized (lock) {
      w = waits;
      tw = totalWaitNanos;
      mw = maxWaitNanos;
      c = curr;
      m = minNr;
      q = waiters;
    }
    return new long[] {
      counters.backingHits(), counters.reserveHits(), counters.frees(), counters.failures(), w, tw, mw, c, m, q
    };
  }

  // VarHandle mechanics
  private static final VarHandle CURR;
  private static final VarHandle MIN_NR;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      CURR = l.findVarHandle(MempoolCore.class, "curr", int.class);
      MIN_NR = l.findVarHandle(MempoolCore.class, "minNr", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
