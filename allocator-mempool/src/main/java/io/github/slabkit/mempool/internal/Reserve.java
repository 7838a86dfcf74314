package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A mempool's reserve: the preallocated objects, their level, the target {@code minNr}, the headroom kept
 * for reclaiming allocations, the claim of a starving waiter, and the one ordering argument of the pool.
 *
 * <h2>Implementation overview</h2>
 * A LIFO array of handles, {@code slots[0..level)}, guarded by this object's monitor. Invariants under the
 * monitor: {@code 0 <= level <= slots.length} and {@code level <= minNr} (the array grows when an object is
 * kept at a full array, never above {@code minNr}, so a large resize allocates nothing up front); every
 * handle in {@code slots[0..level)} is owned by the pool (allocated from the backing allocator, not handed
 * out) and none is {@code 0}; {@code 0 <= headroom < minNr} unless the pool was resized below it (then
 * normal allocations find nothing, which resize refuses while a normal demand waits).
 *
 * <p>What a request may take is {@link #availableLocked}: the level, less the headroom unless it is
 * reclaiming, less the demand of another waiter's active claim. Newcomers and waiters take under the same
 * rule, so a request never waits while what it may take is there (work conservation); fairness comes from
 * the queue's grant order and from claims (see {@link ReservationQueue}).
 *
 * <h2>Memory ordering</h2>
 * {@code level} and {@code minNr} are written only under the monitor, with opaque stores (the kernel's
 * {@code WRITE_ONCE}), and read under it plainly or, on the free path, without it: by plain loads in
 * {@link #looksBelowMinUnfenced()}, then by opaque loads ({@code READ_ONCE}) behind a fence in {@link
 * #looksBelowMin()}. Those unlocked tests
 * decide whether a freed object goes to the reserve. Together they must not miss: if {@code level +
 * takenFromReserve == minNr}, the free must refill the reserve, or an object taken from the reserve is never
 * given back to it and a waiter on an empty reserve may wait a whole {@code waitTimeout} although frees
 * happen. It suffices that some level the freeing thread reads is not older than the decrement that took
 * the very object it frees (Tejun Heo's argument in {@code mempool_free()}: any later decrement is either
 * seen too, or was followed by an increment back to {@code minNr}, after which the same holds for the objects
 * allocated then).
 * <ul>
 *   <li>If the handle reached the freeing thread with a happens-before edge (any {@code java.util.concurrent}
 *       hand-off, a lock, a volatile), the decrement happens-before the first, unfenced test, which therefore
 *       reads it or a later value (JLS 17.4.5, happens-before consistency, which binds plain reads too).
 *   <li>A handle can also travel through a data race (a plain field another thread polls). Then the Java
 *       memory model alone does not order the decrement before the freeing thread's loads of the level. The
 *       kernel has this fringe case and pairs an {@code smp_wmb()} after taking from the reserve with an
 *       {@code smp_rmb()} at the start of {@code mempool_free()}. We pair {@link VarHandle#storeStoreFence()}
 *       after every take ({@link #publishTaken()}: the store of the level is ordered before the caller's
 *       later store of the handle) with {@link VarHandle#loadLoadFence()} before the second test
 *       ({@link #looksBelowMin()}: the caller's load of the handle is ordered before the load of the level).
 *       The second test runs after the backing allocator's free, not before it as the kernel's does: the
 *       fence costs nothing there (see {@link #looksBelowMin()}). When the first test answered "full" and
 *       the second finds the reserve below {@code minNr}, the free takes one object back from the backing
 *       allocator into the reserve ({@code MempoolCore.refillAfterFree}), normally the one it just freed.
 *       The one weaker case: if another thread takes that object from the backing allocator in between,
 *       the reserve stays short until the next free, where the kernel would have kept the object.
 *       jcstress checks the pair ({@code MempoolRacyPublicationFreeTest}).
 * </ul>
 * The backing allocator's double-free mark, which {@link #takeOne} clears ({@code unstash}) before the
 * store-store fence, is read by the backing allocator's free before the load-load fence. That read is
 * ordered after the caller's load of the handle all the same: its address is computed from the handle (an
 * address dependency, which every processor the JDK runs on keeps, and which a compiler cannot break because
 * it cannot load from an address before it knows it; the kernel's {@code rcu_dereference} rests on the
 * same). So a thread that got the handle through a race never finds the object still marked as stashed and
 * refuses it as a double free ({@code MempoolRacyPublicationFreeTest} fails with an exception if it does).
 * The re-check under the monitor makes the decision exact; the unlocked test only spares the monitor when
 * the reserve is full. Claims, {@code waiters} and {@code closed} are written under the queue lock and this
 * monitor, and read under this monitor.
 */
final class Reserve {
  /**
   * The backing allocator, which counts the objects here as free for double-free detection ({@link
   * ObjectAllocator#stash}): whoever puts an object here has stashed it, and every way out of here ({@link
   * #takeOne}, {@link #takeExactly}, {@link #resize}, {@link #close}) unstashes it, under the monitor, before
   * anyone else can see it. So a second free of an object that sits here is refused by the backing
   * allocator instead of placing the object in two places.
   */
  private final ObjectAllocator backing;

  private long[] slots;
  /** Objects in the reserve. Written under the monitor with opaque stores; read unlocked with opaque loads. */
  private int level;
  /** The target size. Written under the monitor (and the queue lock) with opaque stores. */
  private int minNr;
  /** The last objects that only reclaiming requests may take. Under the monitor. */
  private final int headroom;

  /** Tickets queued that demand this pool. Written under the queue lock and the monitor. */
  private int waiters;
  /** Objects that ever left the reserve (fairness statistics). Under the monitor. */
  private long takes;
  private boolean closed;

  /** The waiter whose claim holds back its demand from others, or null. Written under both locks. */
  private @Nullable Ticket claimant;

  private int claimDemand;
  private boolean claimReclaiming;
  private long claimUntil;

  /**
   * The end of the lapse after a claim that ended unmet, while {@link #lapsing}: no claim starts on this pool
   * before it, so the requests held back by the claim get one window in which they run freely. Otherwise two
   * starving tickets could hand the claim to each other with no window between them, and a third request
   * would be held back for ever (with the objects they wait for, if it holds them). Under both locks.
   */
  private long lapseUntil;

  private boolean lapsing;

  /**
   * @param backing the backing allocator
   * @param filled the objects of a full reserve, each stashed in {@code backing}
   * @param headroom the last objects that only reclaiming requests may take
   */
  Reserve(ObjectAllocator backing, long[] filled, int headroom) {
    this.backing = backing;
    this.slots = filled;
    this.level = filled.length;
    this.minNr = filled.length;
    this.headroom = headroom;
  }

  // ---------------------------------------------------------------- unlocked reads

  int levelOpaque() {
    return (int) LEVEL.getOpaque(this);
  }

  int minNrOpaque() {
    return (int) MIN_NR.getOpaque(this);
  }

  int headroom() {
    return headroom;
  }

  /**
   * The unlocked test of the free path, first form: does the reserve look below {@code minNr}? Two plain
   * loads, no fence. Exact enough whenever the freed handle reached the caller with a happens-before edge
   * (happens-before consistency holds for plain reads too, JLS 17.4.5). It may answer "full" wrongly when the
   * handle travelled through a data race, or when the JIT reused an earlier read of the level (a plain load
   * may be hoisted out of a loop of frees, which an opaque one may not), so a free that this test sends to
   * the backing allocator asks {@link #looksBelowMin()} again after that free (see "Memory ordering").
   *
   * <p>Plain, not opaque: the JIT (C2) brackets every opaque access made through a {@code VarHandle} with a
   * compiler barrier that makes it reload every field read after it, so two opaque loads before the backing
   * allocator's free cost as much as the fence (about four nanoseconds, a third of a mempool pair over a
   * slab cache, whose free loses what it could keep from the allocation).
   */
  boolean looksBelowMinUnfenced() {
    return level < minNr;
  }

  /** The second test's loads: opaque, so that a loop of frees re-reads them every time. */
  private boolean looksBelowMinOpaque() {
    return (int) LEVEL.getOpaque(this) < (int) MIN_NR.getOpaque(this);
  }

  /**
   * The unlocked test, fenced: the {@code smp_rmb()} of the ordering argument above, then the two opaque
   * loads. On x86 the fence emits no instruction, but the JIT reloads every field read after it (a
   * whole-memory barrier, as the kernel's {@code barrier()}). Before a slab cache's free that reload costs
   * about four nanoseconds, a third of a mempool pair (the free's thread lookup and magazine are loaded again
   * instead of being kept from the allocation); after the free, at the end of the operation, it costs
   * nothing measurable. So the free path calls it last ({@link MempoolCore#free(long)}); the bulk give-back
   * calls it first.
   */
  boolean looksBelowMin() {
    VarHandle.loadLoadFence(); // smp_rmb(): the caller's load of the handle before the load of level
    return looksBelowMinOpaque();
  }

  /** The {@code smp_wmb()} after a take: the store of level before the caller's store of the handle. */
  static void publishTaken() {
    VarHandle.storeStoreFence();
  }

  // ---------------------------------------------------------------- taking

  /**
   * How many objects a request may take now. Under the monitor.
   *
   * @param reclaiming whether the request may use the headroom and pass ordinary claims
   * @param asker the waiting ticket asking (its own claim does not hold it back), or null for a newcomer
   */
  private int availableLocked(boolean reclaiming, @Nullable Ticket asker) {
    int a = level;
    if (!reclaiming) {
      a -= headroom;
    }
    Ticket c = claimant;
    if (c != null && c != asker && (!reclaiming || claimReclaiming) && System.nanoTime() - claimUntil < 0) {
      a -= claimDemand;
    }
    return a;
  }

  /** Whether a request may take {@code n} objects now (the queue's pre-check before it takes). */
  synchronized boolean mayTake(int n, boolean reclaiming, Ticket asker) {
    return !closed && availableLocked(reclaiming, asker) >= n;
  }

  /**
   * Takes one object if the request may. The caller then calls {@link #publishTaken()}.
   *
   * @return a handle or {@code 0}
   */
  synchronized long takeOne(boolean reclaiming) {
    if (closed || availableLocked(reclaiming, null) < 1) {
      return ObjectAllocator.NO_HANDLE;
    }
    int n = level - 1;
    long h = slots[n];
    slots[n] = ObjectAllocator.NO_HANDLE;
    LEVEL.setOpaque(this, n);
    takes++;
    backing.unstash(h);
    return h;
  }

  /**
   * Takes exactly {@code n} objects into {@code dst[off..off+n)}, or none. The caller then calls
   * {@link #publishTaken()}.
   *
   * @param asker the waiting ticket taking (granted by the queue), or null for a newcomer
   * @return whether they were taken
   */
  synchronized boolean takeExactly(long[] dst, int off, int n, boolean reclaiming, @Nullable Ticket asker) {
    if (closed || availableLocked(reclaiming, asker) < n) {
      return false;
    }
    int c = level - n;
    System.arraycopy(slots, c, dst, off, n);
    Arrays.fill(slots, c, c + n, ObjectAllocator.NO_HANDLE);
    for (int i = off; i < off + n; i++) {
      backing.unstash(dst[i]);
    }
    LEVEL.setOpaque(this, c);
    takes += n;
    return true;
  }

  // ---------------------------------------------------------------- giving back

  /** Result of {@link #put}: the object was not kept (reserve full or closed). */
  static final int NOT_KEPT = 0;
  /** Result of {@link #put}: kept, nobody waits. */
  static final int KEPT = 1;
  /** Result of {@link #put}: kept, and tickets wait for this pool (grant them). */
  static final int KEPT_WAKE = 2;

  /**
   * Keeps {@code h}, which the caller has {@linkplain ObjectAllocator#stash stashed}, if the reserve is below
   * {@code minNr} and open; if not kept, the caller unstashes it.
   *
   * @param checkDuplicate whether to scan for {@code h} first (checked mode: a double free into the reserve)
   * @return {@link #NOT_KEPT}, {@link #KEPT} or {@link #KEPT_WAKE}
   * @throws IllegalArgumentException if {@code checkDuplicate} and {@code h} is in the reserve already
   */
  synchronized int put(long h, boolean checkDuplicate) {
    int c = level;
    if (closed || c >= minNr) {
      return NOT_KEPT;
    }
    if (checkDuplicate) {
      for (int i = 0; i < c; i++) {
        if (slots[i] == h) {
          throw new IllegalArgumentException("already in the reserve");
        }
      }
    }
    ensureRoom(c + 1);
    slots[c] = h;
    LEVEL.setOpaque(this, c + 1);
    return waiters != 0 ? KEPT_WAKE : KEPT;
  }

  /**
   * Keeps a prefix of the non-zero handles of {@code hs[from..to)} while the reserve is below {@code minNr},
   * zeroing each slot it keeps. It {@linkplain ObjectAllocator#stash stashes} each object it keeps (they are
   * the pool's own, from a reservation, not the user's); one the backing allocator refuses stops the loop
   * and stays in its slot, for the caller's free to report.
   *
   * @return {@code kept << 1 | (waiters != 0 ? 1 : 0)}
   */
  synchronized int putAll(long[] hs, int from, int to) {
    int c = level;
    int kept = 0;
    for (int i = from; i < to && c < minNr && !closed; i++) {
      long h = hs[i];
      if (h != ObjectAllocator.NO_HANDLE) {
        try {
          backing.stash(h);
        } catch (RuntimeException e) {
          break;
        }
        ensureRoom(c + 1);
        slots[c++] = h;
        hs[i] = ObjectAllocator.NO_HANDLE;
        kept++;
      }
    }
    LEVEL.setOpaque(this, c);
    return kept << 1 | (kept > 0 && waiters != 0 ? 1 : 0);
  }

  /** Grows {@code slots} (geometrically, never above {@code minNr}) to hold {@code n}. Under the monitor. */
  private void ensureRoom(int n) {
    if (n > slots.length) {
      slots = Arrays.copyOf(slots, (int) Math.min(minNr, Math.max(n, 2L * slots.length)));
    }
  }

  // ---------------------------------------------------------------- used by the queue (queue lock held)

  synchronized long takesLocked() {
    return takes;
  }

  synchronized void addWaiter() {
    waiters++;
  }

  synchronized void removeWaiter() {
    waiters--;
  }

  synchronized int waitersLocked() {
    return waiters;
  }

  /**
   * Whether a claim by another ticket than {@code t} is active at {@code now}, or the lapse after an unmet
   * claim, during which no claim may start.
   *
   * @return the end of that claim or lapse, or {@code now} if there is none
   */
  synchronized long otherClaimUntil(Ticket t, long now) {
    Ticket c = claimant;
    if (c != null && c != t && now - claimUntil < 0) {
      return claimUntil;
    }
    return lapsing && now - lapseUntil < 0 ? lapseUntil : now;
  }

  synchronized void claim(Ticket t, int demand, boolean reclaiming, long until) {
    claimant = t;
    claimDemand = demand;
    claimReclaiming = reclaiming;
    claimUntil = until;
  }

  /**
   * Ends {@code t}'s claim, which its window ended unmet, and starts the lapse: no ticket may claim this pool
   * before {@code until}.
   */
  synchronized void lapse(Ticket t, long until) {
    dropClaim(t);
    lapsing = true;
    lapseUntil = until;
  }

  synchronized void dropClaim(Ticket t) {
    if (claimant == t) {
      claimant = null;
      claimDemand = 0;
    }
  }

  // ---------------------------------------------------------------- resize and close

  /**
   * Sets {@code minNr}, returning the surplus objects (the caller frees them to the backing allocator).
   */
  synchronized long[] resize(int newMinNr) {
    int c = level;
    int surplus = Math.max(0, c - newMinNr);
    long[] out = Arrays.copyOfRange(slots, c - surplus, c);
    Arrays.fill(slots, c - surplus, c, ObjectAllocator.NO_HANDLE);
    for (long h : out) {
      backing.unstash(h);
    }
    LEVEL.setOpaque(this, c - surplus);
    MIN_NR.setOpaque(this, newMinNr);
    return out;
  }

  /** Closes the reserve and returns what it held (the caller frees them to the backing allocator). */
  synchronized long[] close() {
    closed = true;
    long[] out = Arrays.copyOf(slots, level);
    Arrays.fill(slots, ObjectAllocator.NO_HANDLE);
    for (long h : out) {
      backing.unstash(h);
    }
    LEVEL.setOpaque(this, 0);
    return out;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  // VarHandle mechanics
  private static final VarHandle LEVEL;
  private static final VarHandle MIN_NR;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      LEVEL = l.findVarHandle(Reserve.class, "level", int.class);
      MIN_NR = l.findVarHandle(Reserve.class, "minNr", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
