package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.LocalAllocator;
import io.github.slabkit.allocator.ObjectAllocator;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The mempool algorithm: a {@link Reserve} of preallocated objects in front of a backing allocator, after the
 * kernel's {@code mm/mempool.c}, with waiters in a {@link ReservationQueue}.
 *
 * <h2>Implementation overview</h2>
 * <ul>
 *   <li>Allocation ({@link #allocateFast}): the backing allocator's {@code tryAllocate()} (no waiting, no
 *       reclaim), then the reserve as far as the request's priority and other waiters' claims let it reach
 *       ({@link Reserve}). Otherwise the caller queues a {@link Ticket} and waits in the queue.
 *   <li>Free ({@link #free}): if the reserve looks below {@code minNr} the handle is checked by the backing
 *       allocator and kept (re-checked under the reserve's monitor, where a closed pool keeps nothing), and the
 *       queue is asked to grant waiters; otherwise it goes back to the backing allocator, which validates it.
 *   <li>Every path that takes objects gives them back if an exception stops it before they reach the caller;
 *       every path that gives objects back zeroes a slot only once its object is placed (reserve or backing).
 * </ul>
 * The ordering argument of the unlocked free-path test is in {@link Reserve}. The counters are in
 * {@link PoolCounters} (per-thread on the fast path); a snapshot is not atomic across fields.
 */
public final class MempoolCore {
  private final String name;
  private final ObjectAllocator backing;
  private final long waitTimeoutNanos;
  private final ReservationQueue queue;
  private final Reserve reserve;
  private final int order;
  private final HandleOwners owners = new HandleOwners();
  private volatile boolean closed;

  /** Debug mode: objects in the reserve are poisoned, and checked when they leave it. */
  private final boolean poison;

  private final AtomicLong debugReports = new AtomicLong();
  private final PoolCounters counters = new PoolCounters();

  /** Guards the wait statistics. */
  private final Object waitStats = new Object();
  // Strays: objects a give-back of untaken objects (a reservation or bulk allocation that could not
  // complete) could not return because the backing allocator's free threw. They belong to no caller, so the
  // pool keeps them and tries again at its next give-back and at close. Guarded by strayLock; anyStrays is
  // read without it, so that a give-back with none pays one volatile read.
  private final Object strayLock = new Object();
  private long[] strays = new long[0];
  private int strayCount;
  private volatile boolean anyStrays;

  private long waits;
  private long totalWaitNanos;
  private long maxWaitNanos;

  private MempoolCore(
      String name,
      ObjectAllocator backing,
      Reserve reserve,
      long waitTimeoutNanos,
      boolean poison,
      ReservationQueue queue,
      int order) {
    this.name = name;
    this.order = order;
    this.backing = backing;
    this.reserve = reserve;
    this.waitTimeoutNanos = waitTimeoutNanos;
    this.poison = poison;
    this.queue = queue;
  }

  /**
   * Creates a pool and preallocates its reserve, all or nothing.
   *
   * @param name the pool's name
   * @param backing the backing allocator
   * @param minNr the reserve size, at least 1
   * @param headroom the last objects of the reserve only reclaiming requests may take, {@code 0 <= headroom <
   *     minNr}
   * @param waitTimeoutNanos how long a waiter sleeps before it retries the backing allocator with reclaim
   * @param poison whether objects in the reserve are poisoned and checked when they leave it
   * @param queue the queue the pool's waiters wait in
   * @param order the declared allocation order for checked mode, {@code 0} if none
   * @return the pool
   * @throws AllocationFailedException if the backing allocator cannot provide {@code minNr} objects
   */
  public static MempoolCore create(
      String name,
      ObjectAllocator backing,
      int minNr,
      int headroom,
      long waitTimeoutNanos,
      boolean poison,
      ReservationQueue queue,
      int order) {
    long[] slots = fill(name, backing, minNr);
    int stashed = 0;
    try {
      for (long h : slots) {
        backing.stash(h); // fresh objects: the reserve's own from now on (see Reserve#backing)
        stashed++;
        if (poison) {
          ReservePoison.poison(backing, h);
        }
      }
    } catch (RuntimeException e) {
      // A backing allocator that refuses to stash (or poison) an object it has just handed out: the build
      // fails holding nothing, as a build that could not fill its reserve does.
      for (int i = 0; i < slots.length; i++) {
        try {
          if (i < stashed) {
            backing.unstash(slots[i]);
          }
          backing.free(slots[i]);
        } catch (RuntimeException again) {
          e.addSuppressed(again);
        }
      }
      throw e;
    }
    return new MempoolCore(
        name, backing, new Reserve(backing, slots, headroom), waitTimeoutNanos, poison, queue, order);
  }

  /** The most objects one {@code allocateBulk} of {@link #fill} asks for. */
  private static final int FILL_CHUNK = 4096;

  /**
   * Preallocates {@code minNr} objects, all or nothing, in chunks of {@link #FILL_CHUNK}: the array grows
   * with what the backing allocator really gave, so a huge {@code minNr} fails with the backing allocator's
   * exception instead of a huge array first (an {@code OutOfMemoryError} before anything was asked). Up to
   * {@code FILL_CHUNK} objects it is one {@code allocateBulk}, as before; above, the chunks taken are held
   * while the next one is asked for, which the backing allocator's wait limit bounds.
   *
   * @return exactly {@code minNr} handles
   * @throws AllocationFailedException if the backing allocator fails; every object taken is freed first
   */
  private static long[] fill(String name, ObjectAllocator backing, int minNr) {
    long[] slots = new long[Math.min(minNr, FILL_CHUNK)];
    boolean chunked = minNr > FILL_CHUNK; // else one allocateBulk straight into slots
    long[] chunk = chunked ? new long[FILL_CHUNK] : slots;
    int filled = 0;
    try {
      while (filled < minNr) {
        int n = Math.min(minNr - filled, FILL_CHUNK);
        backing.allocateBulk(chunk, n);
        if (chunked) {
          if (slots.length < filled + n) {
            // Geometric growth, capped at minNr: the array never exceeds twice what was really had.
            slots = Arrays.copyOf(slots, (int) Math.min(minNr, Math.max(filled + n, 2L * slots.length)));
          }
          System.arraycopy(chunk, 0, slots, filled, n);
        }
        filled += n;
      }
    } catch (AllocationFailedException e) {
      RuntimeException undo = giveBack(backing, slots, filled);
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
                  + "' failed after "
                  + filled
                  + " (nothing is held: they were freed again): "
                  + e.getMessage()
                  + "; lower minNr or give the backing allocator more memory");
      f.initCause(e);
      if (undo != null) {
        f.addSuppressed(undo);
      }
      throw f;
    } catch (RuntimeException | Error e) {
      RuntimeException undo = giveBack(backing, slots, filled);
      if (undo != null) {
        e.addSuppressed(undo);
      }
      throw e;
    }
    return slots;
  }

  /** Frees {@code hs[0..n)} to the backing allocator, every one even if some throw; returns the first. */
  private static @Nullable RuntimeException giveBack(ObjectAllocator backing, long[] hs, int n) {
    RuntimeException first = null;
    for (int i = 0; i < n; i++) {
      try {
        backing.free(hs[i]);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
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
   * Returns the queue the pool's waiters wait in.
   *
   * @return the queue
   */
  public ReservationQueue queue() {
    return queue;
  }

  Reserve reserve() {
    return reserve;
  }

  /** The declared allocation order for checked mode, {@code 0} if none. */
  int order() {
    return order;
  }

  /** Checked mode's holders of this pool's objects. */
  HandleOwners owners() {
    return owners;
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
    return reserve.minNrOpaque();
  }

  /**
   * Returns the headroom kept for reclaiming requests.
   *
   * @return the headroom
   */
  public int headroom() {
    return reserve.headroom();
  }

  /**
   * Returns the largest demand a request of the given priority may make at once.
   *
   * @param reclaiming the priority
   * @return {@code minNr}, less the headroom for an ordinary request
   */
  public int demandLimit(boolean reclaiming) {
    return reserve.minNrOpaque() - (reclaiming ? 0 : reserve.headroom());
  }

  /**
   * Returns the number of objects in the reserve now.
   *
   * @return the level
   */
  public int reserveLevel() {
    return reserve.levelOpaque();
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
   * Throws if the pool is closed. Reads the flag with plain semantics: {@code close()} must not race with
   * other calls (its contract), so a call ordered after the close by happens-before sees it; a volatile read
   * on every allocation and free would stop the JIT from keeping one call's fields for the next.
   *
   * @param operation the attempted operation, for the message
   */
  public void checkOpen(String operation) {
    if ((boolean) CLOSED.get(this)) {
      throw new AllocatorClosedException(name, operation);
    }
  }

  // ---------------------------------------------------------------- allocation without waiting

  /**
   * Steps (1) and (2) of the algorithm: the backing allocator without waiting or reclaim, then the reserve as
   * far as the priority and others' claims let it reach. Counts a hit, never a failure.
   *
   * @param reclaiming whether the request may take the headroom
   * @return a handle or {@code 0}
   */
  public long allocateFast(boolean reclaiming) {
    long h = backing.tryAllocate();
    if (h != ObjectAllocator.NO_HANDLE) {
      counters.addBackingHits(1);
      return h;
    }
    return allocateFromReserve(reclaiming);
  }

  /**
   * {@link #allocateFast} for an allocation context: the backing allocator's context, counted in the
   * context's counters, then the reserve as {@link #allocateFast}.
   *
   * @param backingLocal the backing allocator's context on the calling thread
   * @param cell the context's counters
   * @param reclaiming whether the request may take the headroom
   * @return a handle or {@code 0}
   */
  public long allocateFast(LocalAllocator backingLocal, PoolCounters.ThreadCounters cell, boolean reclaiming) {
    long h = backingLocal.tryAllocate();
    if (h != ObjectAllocator.NO_HANDLE) {
      cell.addBackingHit();
      return h;
    }
    return allocateFromReserve(reclaiming);
  }

  /**
   * Counters for an allocation context.
   *
   * @return new single-writer counters, summed into the pool's statistics
   */
  public PoolCounters.ThreadCounters newContextCounters() {
    return counters.newContextCounters();
  }

  /**
   * Folds the counters of a context that ended into the pool's, so that ended contexts cost nothing.
   *
   * @param cell counters from {@link #newContextCounters()}, written no more
   */
  public void retireContextCounters(PoolCounters.ThreadCounters cell) {
    counters.retire(cell);
  }

  private long allocateFromReserve(boolean reclaiming) {
    long h = reserve.takeOne(reclaiming);
    if (h == ObjectAllocator.NO_HANDLE) {
      return h;
    }
    Reserve.publishTaken();
    counters.addReserveHits(1);
    if (poison) {
      checkPoison(h);
    }
    MempoolEvents.reserveUse(name, 1, reserve.levelOpaque());
    return h;
  }

  /**
   * Fills {@code dst[off..off+n)} from the backing allocator without waiting, as far as it goes. If the
   * backing allocator throws, what was filled goes back to it and the exception propagates.
   *
   * @param dst destination
   * @param off first slot
   * @param n slots wanted
   * @param reclaim whether the backing allocator may reclaim ({@code tryAllocate(0, unit)})
   * @return how many were filled (a prefix)
   */
  public int fillFromBacking(long[] dst, int off, int n, boolean reclaim) {
    int got = 0;
    try {
      while (got < n) {
        long h = reclaim ? backing.tryAllocate(0, TimeUnit.NANOSECONDS) : backing.tryAllocate();
        if (h == ObjectAllocator.NO_HANDLE) {
          break;
        }
        dst[off + got++] = h;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // a non-waiting call; the waiting loop decides what it means
    } catch (RuntimeException | Error e) {
      for (int i = off; i < off + got; i++) {
        try {
          backing.free(dst[i]);
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        dst[i] = ObjectAllocator.NO_HANDLE;
      }
      throw e;
    }
    return got;
  }

  /** Checks the poison of objects that just left the reserve (debug mode); the caller owns them. */
  void leftReserve(long[] hs, int off, int n) {
    if (n > 0) {
      if (poison) {
        for (int i = off; i < off + n; i++) {
          checkPoison(hs[i]);
        }
      }
      MempoolEvents.reserveUse(name, n, reserve.levelOpaque());
    }
  }

  private void checkPoison(long h) {
    if (ReservePoison.check(name, backing, h) >= 0) {
      debugReports.incrementAndGet();
    }
  }

  /**
   * Allocates one object from the backing allocator with reclaim allowed but without waiting, for a caller
   * that may not wait ({@code tryAllocate(0, unit)}).
   *
   * @return a handle or {@code 0}
   */
  public long allocateReclaim() {
    long[] one = new long[1];
    if (fillFromBacking(one, 0, 1, true) == 1) {
      counters.addBackingHits(1);
      return one[0];
    }
    return ObjectAllocator.NO_HANDLE;
  }

  /**
   * Refills the reserve from the backing allocator with reclaim allowed but without waiting: at most
   * {@code max} objects and never above {@code minNr}. This is step (3)'s "retry the backing allocator with
   * reclaim"; the objects go to the reserve, where the queue grants them.
   *
   * @param max the most objects to add
   * @throws RuntimeException if the backing allocator refuses to stash or to take back a fresh object (see
   *     {@link #keepFresh}: the object goes back to it or is kept as a stray)
   */
  public void refill(int max) {
    for (int i = 0; i < max && !closed && reserve.levelOpaque() < reserve.minNrOpaque(); i++) {
      long h;
      try {
        h = backing.tryAllocate(0, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the waiting loop decides what an interrupt means
        return;
      }
      if (h == ObjectAllocator.NO_HANDLE || keepFresh(h) == Reserve.NOT_KEPT) {
        return;
      }
    }
  }

  /**
   * Puts an object just taken from the backing allocator into the reserve, or gives it back if the reserve
   * is full. Does not grant waiters.
   *
   * @param h a fresh object of the backing allocator, not counted as handed out
   * @return {@link Reserve#put}'s answer; {@link Reserve#NOT_KEPT} when the object went back
   * @throws RuntimeException if the backing allocator refused to stash the object (it went back first), or
   *     to take it back; an object it refused to take back is kept as a stray, so nothing is lost
   */
  private int keepFresh(long h) {
    try {
      backing.stash(h); // a fresh object: refused only by a misbehaving backing allocator
    } catch (RuntimeException e) {
      freeOrKeep(h); // not the reserve's: back where it came from
      throw e;
    }
    enteringReserve(h);
    int r = reserve.put(h, false);
    if (r == Reserve.NOT_KEPT) {
      backing.unstash(h);
      freeOrKeep(h);
    }
    return r;
  }

  /** Frees {@code h} to the backing allocator; if it refuses, keeps it as a stray and rethrows. */
  private void freeOrKeep(long h) {
    try {
      backing.free(h);
    } catch (RuntimeException e) {
      keepStrays(new long[] {h}, 0, 1); // returned at the next give-back or at close
      throw e;
    }
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
   * Frees an object: refills the reserve if it is below {@code minNr} (waking waiters), else returns it to
   * the backing allocator.
   *
   * @param h the handle
   * @throws InvalidHandleException if the handle is refused; nothing changes
   */
  public void free(long h) {
    checkOpen("free");
    PoolCounters.ThreadCounters cell = counters.mine();
    ObjectAllocator b = backing;
    if (reserve.looksBelowMinUnfenced() && refillWith(h)) {
      counters.addFrees(cell, 1);
      return;
    }
    try {
      b.free(h); // validates h itself: a refused handle changes nothing
    } catch (InvalidHandleException e) {
      throw refused(h, e);
    }
    counters.addFrees(cell, 1);
    if (reserve.looksBelowMin()) {
      refillAfterFree(); // the first test missed a take (see Reserve's "Memory ordering"), or a take raced it
    }
  }

  /**
   * {@link #free} for an allocation context: an object not kept by the reserve goes to the backing
   * allocator's context and is counted in the context's counters.
   *
   * @param h the handle
   * @param backingLocal the backing allocator's context on the calling thread
   * @param cell the context's counters
   * @throws InvalidHandleException if the handle is refused; nothing changes
   */
  public void free(long h, LocalAllocator backingLocal, PoolCounters.ThreadCounters cell) {
    // The context checked that the pool is open; a close racing this free is the backing's to refuse.
    if (reserve.looksBelowMinUnfenced() && refillWith(h)) {
      cell.addFree();
      return;
    }
    try {
      backingLocal.free(h); // validates h itself: a refused handle changes nothing
    } catch (InvalidHandleException e) {
      throw refused(h, e);
    }
    cell.addFree();
    if (reserve.looksBelowMin()) {
      refillAfterFree(); // as in free(long)
    }
  }

  /**
   * The free gave its object to the backing allocator, and the fenced test after it finds the reserve below
   * {@code minNr}: the unfenced test before it read a level older than the take of the very object freed
   * (a handle that travelled through a data race), or another thread took from the reserve in between.
   * Takes one object back from the backing allocator without waiting or reclaim (on a slab cache, the one
   * just freed, from the top of the thread's magazine) into the reserve, as the free would have put its own,
   * and wakes waiters. If the backing allocator has none left (another thread took it in between), the next
   * free refills the reserve instead. Never throws: the free is done whatever happens here.
   */
  private void refillAfterFree() {
    long x;
    try {
      x = backing.tryAllocate();
    } catch (RuntimeException e) {
      return; // closed under the pool: nothing was taken
    }
    if (x == ObjectAllocator.NO_HANDLE) {
      return;
    }
    int r;
    try {
      r = keepFresh(x);
    } catch (RuntimeException e) {
      return; // a misbehaving backing allocator: x went back to it or is a stray; the free is done
    }
    if (r == Reserve.KEPT_WAKE) {
      queue.grantWaiters();
    }
  }

  /**
   * The reserve looked below minNr: stash the handle in the backing allocator (which validates it and, for a
   * slab cache, refuses a double free, also of an object that sits in the reserve), then keep it if the
   * reserve still has room; if not, unstash it for the backing allocator's free.
   */
  private boolean refillWith(long h) {
    try {
      backing.stash(h);
    } catch (InvalidHandleException e) {
      throw refused(h, e);
    }
    enteringReserve(h);
    int r;
    try {
      r = reserve.put(h, HoldAndWaitCheck.enabled());
    } catch (IllegalArgumentException e) {
      // checked mode found h in the reserve (a backing allocator that cannot detect it let it through)
      throw new InvalidHandleException(
          name, h, "is already in the mempool's reserve: double free (detected in checked mode)");
    }
    if (r == Reserve.KEPT_WAKE) {
      queue.grantWaiters();
    }
    if (r == Reserve.NOT_KEPT) {
      backing.unstash(h);
      return false;
    }
    return true;
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
   * Returns objects, {@code hs[from..to)}: the reserve first, the rest to the backing allocator. A slot is
   * zeroed once its object is placed; zero slots are skipped, so a retry after an exception returns exactly
   * what is left. After close everything goes to the backing allocator. The pool's strays ({@link
   * #keepStrays}) are tried first.
   *
   * @param hs the handles
   * @param from first
   * @param to end, exclusive
   * @param countAsFrees whether they were counted as allocated (a held reservation) or not (a rollback)
   * @return whether the reserve grew while tickets wait for it (the caller then grants waiters)
   * @throws RuntimeException the first exception of the backing allocator's {@code free}, after every other
   *     object was placed; the refused objects stay in their slots
   */
  public boolean giveBack(long[] hs, int from, int to, boolean countAsFrees) {
    return giveBack(hs, from, to, countAsFrees, true);
  }

  /**
   * {@link #giveBack} for the rollback inside the queue's grant scan ({@link Ticket#tryGrantLocked}, under
   * the queue lock): it never grants waiters, not even when the backing allocator's {@code free} throws. A
   * grant scan started there would run inside the scan that called it and could grant the very ticket whose
   * slots are being emptied, filling them before the caller keeps the refused objects as strays. The outer
   * scan goes on to the tickets after it, as it does when nothing throws.
   *
   * @param hs the handles
   * @param from first
   * @param to end, exclusive
   * @throws RuntimeException as {@link #giveBack}
   */
  public void giveBackInGrantScan(long[] hs, int from, int to) {
    giveBack(hs, from, to, false, false);
  }

  private boolean giveBack(long[] hs, int from, int to, boolean countAsFrees, boolean mayGrant) {
    if (from >= to) {
      return false;
    }
    boolean strayWake = anyStrays && retryStrays(mayGrant);
    if (poison) {
      for (int k = from; k < to; k++) {
        if (hs[k] != ObjectAllocator.NO_HANDLE) {
          enteringReserve(hs[k]);
        }
      }
    }
    boolean wake = false;
    int placed = 0;
    if (reserve.looksBelowMin()) {
      int r = reserve.putAll(hs, from, to);
      placed = r >>> 1;
      wake = (r & 1) != 0;
    }
    RuntimeException first = null;
    for (int i = from; i < to; i++) {
      long h = hs[i];
      if (h == ObjectAllocator.NO_HANDLE) {
        continue;
      }
      try {
        backing.free(h);
        hs[i] = ObjectAllocator.NO_HANDLE;
        placed++;
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (countAsFrees && placed > 0) {
      counters.addFrees(counters.mine(), placed);
    }
    if (first != null) {
      if (mayGrant && (wake || strayWake)) {
        queue.grantWaiters();
      }
      throw first;
    }
    return wake || strayWake;
  }

  /**
   * Keeps the objects left in {@code hs[from..to)} (non-zero slots) as strays and empties those slots: the
   * objects a {@link #giveBack} could not return because the backing allocator's {@code free} threw, when no
   * caller keeps them (a reservation or bulk allocation that was not granted). The pool returns them at its
   * next give-back or at {@link #close()}.
   *
   * @param hs the slots
   * @param from first
   * @param to end, exclusive
   */
  public void keepStrays(long[] hs, int from, int to) {
    synchronized (strayLock) {
      for (int i = from; i < to; i++) {
        long h = hs[i];
        if (h != ObjectAllocator.NO_HANDLE) {
          if (strayCount == strays.length) {
            strays = Arrays.copyOf(strays, Math.max(4, 2 * strayCount));
          }
          strays[strayCount++] = h;
          hs[i] = ObjectAllocator.NO_HANDLE;
          anyStrays = true;
        }
      }
    }
  }

  /**
   * Returns the strays as any give-back does (the reserve first); those refused again stay strays. Their
   * first refusal was reported to the caller whose give-back met it, so a second one is not reported again.
   *
   * @param mayGrant whether the retry's give-back may grant waiters when it throws: false inside a grant scan
   *     (see {@link #giveBackInGrantScan}), as for the give-back that retries them
   * @return whether the reserve grew while tickets wait (the caller's give-back reports it to its caller)
   */
  private boolean retryStrays(boolean mayGrant) {
    long[] batch;
    int n;
    synchronized (strayLock) {
      batch = Arrays.copyOf(strays, strayCount);
      n = strayCount;
      strayCount = 0;
      anyStrays = false;
    }
    try {
      return giveBack(batch, 0, n, false, mayGrant);
    } catch (RuntimeException again) {
      keepStrays(batch, 0, n); // giveBack granted waiters before it threw if it may and the reserve grew
      return false;
    }
  }

  void recordWait(long nanos) {
    MempoolEvents.poolWait(name, nanos);
    synchronized (waitStats) {
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
   * @throws IllegalStateException if a waiting request demands more than it could then take, or if
   *     {@code newMinNr} is not above the headroom (nothing changes then); or, after the resize, if the
   *     backing allocator's {@code free} threw for a surplus object (every other surplus object was still
   *     freed; the cause is the first exception)
   */
  public void resize(int newMinNr) {
    long[] surplus;
    synchronized (queue.lock) {
      checkOpen("resize");
      if (newMinNr <= reserve.headroom()) {
        throw new IllegalStateException(
            name + ": cannot resize minNr to " + newMinNr + ": it must stay above the headroom of "
                + reserve.headroom() + " objects kept for reclaiming allocations");
      }
      int demanded =
          Math.max(
              queue.maxQueuedDemandLocked(this, false) + reserve.headroom(),
              queue.maxQueuedDemandLocked(this, true));
      if (demanded > newMinNr) {
        throw new IllegalStateException(
            name
                + ": cannot resize minNr to "
                + newMinNr
                + " while a waiting allocation or reservation needs a reserve of "
                + demanded
                + " objects: it could never be granted. Resize after it is served.");
      }
      surplus = reserve.resize(newMinNr);
    }
    // Every surplus object is offered to the backing allocator even if one free throws: stopping at the
    // first would lose the rest, which are then neither in the reserve nor free in the backing allocator.
    RuntimeException first = null;
    for (long h : surplus) {
      try {
        backing.free(h);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw new IllegalStateException(
          name + ": resized minNr to " + newMinNr + ", but the backing allocator '" + backing.name()
              + "' refused surplus objects of the reserve (" + first.getMessage() + "); the others went back"
              + " to it, the refused ones are lost to it",
          first);
    }
    refill(newMinNr);
    if (reserve.waitersLocked() != 0) {
      queue.grantWaiters();
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
    synchronized (queue.lock) {
      if (closed) {
        return;
      }
      int w = reserve.waitersLocked();
      if (w != 0) {
        throw new IllegalStateException(
            name
                + ": close() while "
                + w
                + " allocation(s) or reservation(s) wait for the pool; the pool stays open. Stop the"
                + " waiting threads first (close() must not race with other operations).");
      }
      closed = true;
      rest = reserve.close();
    }
    synchronized (strayLock) {
      int n = rest.length;
      rest = Arrays.copyOf(rest, n + strayCount);
      System.arraycopy(strays, 0, rest, n, strayCount);
      strayCount = 0;
      anyStrays = false;
    }
    HoldAndWaitCheck.poolClosed(this);
    RuntimeException first = null;
    for (long h : rest) {
      try {
        backing.free(h);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw new IllegalStateException(
          name + ": closed, but the backing allocator '" + backing.name() + "' refused objects of the reserve"
              + " or strays (" + first.getMessage() + "); they are lost to it",
          first);
    }
    long live = liveObjects();
    if (live > 0) {
      throw new IllegalStateException(
          name
              + ": closed with "
              + live
              + " object(s) still allocated (taken and not freed, or held by open reservations); its reserve"
              + " of "
              + rest.length
              + " went back to '"
              + backing.name()
              + "', the "
              + live
              + " live object(s) are leaked to it: free them to the backing allocator, or free every object"
              + " and close reservations before closing the pool");
    }
  }

  /**
   * Returns objects handed out and not freed (including those held untaken by reservations). Frees of
   * objects that came straight from the backing allocator, which {@code Mempool.free} accepts, lower it too;
   * it is never reported below zero.
   *
   * @return the count
   */
  public long liveObjects() {
    return Math.max(0, counters.backingHits() + counters.reserveHits() - counters.frees());
  }

  /** A snapshot of the pool's counters; not atomic across fields. */
  public record Snapshot(
      long backingHits,
      long reserveHits,
      long frees,
      long failures,
      long waits,
      long totalWaitNanos,
      long maxWaitNanos,
      int reserveLevel,
      int minNr,
      int waiting,
      long liveObjects) {}

  /**
   * Returns the counters.
   *
   * @return a snapshot
   */
  public Snapshot snapshot() {
    long w;
    long tw;
    long mw;
    synchronized (waitStats) {
      w = waits;
      tw = totalWaitNanos;
      mw = maxWaitNanos;
    }
    return new Snapshot(
        counters.backingHits(),
        counters.reserveHits(),
        counters.frees(),
        counters.failures(),
        w,
        tw,
        mw,
        reserve.levelOpaque(),
        reserve.minNrOpaque(),
        reserve.waitersLocked(),
        liveObjects());
  }

  // VarHandle mechanics
  private static final java.lang.invoke.VarHandle CLOSED;

  static {
    try {
      CLOSED = java.lang.invoke.MethodHandles.lookup().findVarHandle(MempoolCore.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
