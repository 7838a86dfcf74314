package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One demand, "{@code counts[i]} objects of {@code pools[i]}" for each {@code i}, with room for the handles:
 * the state of a reservation and the node of {@link ReservationQueue}. Everything it needs is allocated when
 * it is built, so acquiring, taking and releasing it again allocate nothing.
 *
 * <p>States: {@code IDLE} (holds nothing, not queued), {@code QUEUED} (waiting in the queue, holds nothing),
 * {@code HELD} (all handles present; {@code taken[i]} of pool {@code i} handed out). IDLE to HELD by the owner
 * on the fast path; IDLE to QUEUED and QUEUED to HELD or IDLE only under the queue lock; HELD to IDLE by the
 * owner on release. The grant fills {@code handles} and then stores {@code HELD} with release semantics; the
 * owner reads the state with acquire semantics before it reads the handles. Not thread safe otherwise: one
 * owner thread at a time.
 *
 * <p>Exception safety: every path that takes objects and then meets an exception (a backing allocator that
 * throws, a pool closed under it) gives back what it took before the exception leaves, so a ticket is either
 * held with all its objects or holds none. A {@link #release()} that meets an exception keeps the handles it
 * could not return (and only those) and stays held, so retrying it returns exactly the rest. The give-back
 * of a ticket that is not held (an acquisition that could not complete, or met an exception) returns every
 * pool's objects even when one backing allocator's {@code free} throws; the objects it refused become the
 * pool's strays ({@link MempoolCore#keepStrays}), which the pool returns at its next give-back or close, so
 * the ticket's slots are empty again whatever happened and nothing is overwritten and lost.
 */
public final class Ticket {
  static final int IDLE = 0;
  static final int QUEUED = 1;
  static final int HELD = 2;

  final MempoolCore[] pools;
  final int[] counts;
  final int[] offsets;
  final long[] handles;
  private final long[] spare;
  private final int[] taken;
  private final int[] fromBacking;
  final int total;
  final long waitTimeoutNanos;
  final boolean reclaiming;
  private final ReservationQueue queue;

  // Queue state, guarded by the queue lock.
  @Nullable Ticket prev;
  @Nullable Ticket next;
  @Nullable Thread waiter;
  long takesAtEnqueue;
  long lastOvertaken;
  boolean claiming;
  long claimUntil;
  long nextScanAt;
  long claims;

  private int state;

  // Statistics, written by the owner.
  private long acquisitions;
  private long waits;
  private long totalWaitNanos;
  private long maxWaitNanos;
  private long maxOvertaken;

  /**
   * Creates an idle ticket.
   *
   * @param pools distinct pools of one queue
   * @param counts objects wanted from each, each at least 1
   * @param reclaiming whether the demand may reach into the pools' headroom
   */
  public Ticket(MempoolCore[] pools, int[] counts, boolean reclaiming) {
    this.pools = pools;
    this.counts = counts;
    this.reclaiming = reclaiming;
    this.offsets = new int[pools.length];
    this.queue = pools[0].queue();
    int sum = 0;
    long wait = Long.MAX_VALUE;
    for (int i = 0; i < pools.length; i++) {
      if (pools[i].queue() != queue) {
        throw new IllegalArgumentException(
            "pools '" + pools[0].name() + "' and '" + pools[i].name() + "' belong to different reservation"
                + " domains; a reservation spans pools of one domain: build them with the same"
                + " ReservationDomain");
      }
      offsets[i] = sum;
      sum += counts[i];
      wait = Math.min(wait, pools[i].waitTimeoutNanos());
    }
    this.total = sum;
    this.handles = new long[sum];
    this.spare = new long[sum];
    this.taken = new int[pools.length];
    this.fromBacking = new int[pools.length];
    this.waitTimeoutNanos = wait;
  }

  /**
   * Returns the queue the ticket waits in.
   *
   * @return the queue
   */
  public ReservationQueue queue() {
    return queue;
  }

  /**
   * Returns how many objects the ticket holds when held, over all pools.
   *
   * @return the total demand
   */
  public int total() {
    return total;
  }

  /**
   * Returns whether the ticket holds its objects.
   *
   * @return whether held
   */
  public boolean isHeld() {
    return (int) STATE.getAcquire(this) == HELD;
  }

  boolean isQueued() {
    return (int) STATE.getAcquire(this) == QUEUED;
  }

  void setState(int s) {
    STATE.setRelease(this, s);
  }

  /**
   * Throws if any pool is closed.
   *
   * @param operation for the message
   */
  public void checkOpen(String operation) {
    for (MempoolCore p : pools) {
      p.checkOpen(operation);
    }
  }

  /**
   * The fast path: for each pool the backing allocator without waiting, then the reserve as far as the
   * ticket's priority may reach; all pools or none. An exception from a backing allocator gives back what was
   * taken and propagates.
   *
   * @return whether the ticket is now held
   */
  public boolean tryFast() {
    checkOpen("acquire");
    int i = 0;
    int got = 0;
    try {
      for (; i < pools.length; i++) {
        MempoolCore p = pools[i];
        int off = offsets[i];
        int n = counts[i];
        got = 0;
        got = p.fillFromBacking(handles, off, n, false);
        if (got < n) {
          if (!p.reserve().takeExactly(handles, off + got, n - got, reclaiming, null)) {
            giveBackUnheld(handles, i, got);
            return false;
          }
          Reserve.publishTaken();
          p.leftReserve(handles, off + got, n - got);
        }
        fromBacking[i] = got;
      }
    } catch (RuntimeException | Error e) {
      // fillFromBacking gave back its own partial fill before throwing
      try {
        giveBackUnheld(handles, i, 0);
      } catch (RuntimeException r) {
        e.addSuppressed(r); // the refused objects are the pool's strays; the first failure is the one reported
      }
      throw e;
    }
    for (int k = 0; k < pools.length; k++) {
      pools[k].countAllocated(fromBacking[k], counts[k] - fromBacking[k]);
      taken[k] = 0;
    }
    acquisitions++;
    setState(HELD);
    return true;
  }

  /**
   * Gives back {@code slots} of pools {@code 0..failed} (all of each before {@code failed}, the first
   * {@code gotInFailed} of it) while the ticket is not held. Every pool gets its objects back even if an
   * earlier pool's backing allocator throws; the objects a backing allocator refused become its pool's strays,
   * so every slot is empty afterwards.
   *
   * @throws RuntimeException the first exception of a backing allocator's {@code free}, after every other
   *     object was placed
   */
  private void giveBackUnheld(long[] slots, int failed, int gotInFailed) {
    boolean wake = false;
    RuntimeException first = null;
    for (int j = 0; j <= failed && j < pools.length; j++) {
      int to = j < failed ? offsets[j] + counts[j] : offsets[j] + gotInFailed;
      try {
        wake |= pools[j].giveBack(slots, offsets[j], to, false);
      } catch (RuntimeException e) {
        pools[j].keepStrays(slots, offsets[j], to);
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (wake) {
      queue.grantWaiters();
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * The waiter's retry: fills the whole demand directly from the backing allocators with reclaim allowed but
   * without waiting; if it all came, the ticket leaves the queue held. Otherwise what came is given back
   * (reserves first), so the ticket returns to waiting holding nothing.
   *
   * @return whether the ticket is now held
   */
  boolean tryDirect(ReservationQueue q) {
    int i = 0;
    int got = 0;
    try {
      for (; i < pools.length; i++) {
        got = 0;
        got = pools[i].fillFromBacking(spare, offsets[i], counts[i], true);
        if (got < counts[i]) {
          break;
        }
      }
    } catch (RuntimeException | Error e) {
      try {
        giveBackUnheld(spare, i, 0);
      } catch (RuntimeException r) {
        e.addSuppressed(r); // the refused objects are the pool's strays; the first failure is the one reported
      }
      throw e;
    }
    if (i < pools.length) {
      giveBackUnheld(spare, i, got);
      return false;
    }
    if (q.completeDirectly(this, spare)) {
      for (int k = 0; k < pools.length; k++) {
        pools[k].countAllocated(counts[k], 0);
      }
      java.util.Arrays.fill(spare, ObjectAllocator.NO_HANDLE);
      return true;
    }
    giveBackUnheld(spare, pools.length - 1, counts[pools.length - 1]); // granted from the reserves meanwhile
    return isHeld();
  }

  /**
   * Called by the queue, under its lock, when it can take the whole demand from the reserves: takes it, all
   * pools or none.
   *
   * @return whether the ticket now has its handles
   */
  boolean tryGrantLocked() {
    for (int i = 0; i < pools.length; i++) {
      if (!pools[i].reserve().mayTake(counts[i], reclaiming, this)) {
        return false;
      }
    }
    for (int i = 0; i < pools.length; i++) {
      if (!pools[i].reserve().takeExactly(handles, offsets[i], counts[i], reclaiming, this)) {
        // a newcomer took between the check and the take: give back what this scan took
        for (int j = 0; j < i; j++) {
          try {
            pools[j].giveBackInGrantScan(handles, offsets[j], offsets[j] + counts[j]);
          } catch (RuntimeException e) {
            // Not this thread's to report (it may be any pool's free granting waiters), and the slots must be
            // empty for the next grant: the refused objects become the pool's strays.
            pools[j].keepStrays(handles, offsets[j], offsets[j] + counts[j]);
          }
        }
        return false;
      }
    }
    Reserve.publishTaken();
    for (int i = 0; i < pools.length; i++) {
      pools[i].leftReserve(handles, offsets[i], counts[i]);
      pools[i].countAllocated(0, counts[i]);
    }
    return true;
  }

  /** Called by the queue, under its lock, when it granted the ticket. */
  void granted() {
    for (int i = 0; i < pools.length; i++) {
      taken[i] = 0;
    }
  }

  /**
   * Takes the next object of pool {@code i}.
   *
   * @param i the pool's index
   * @return the handle, or {@code 0} if all of pool {@code i} are taken or the ticket is not held
   */
  public long take(int i) {
    int t = taken[i];
    if (t >= counts[i] || !isHeld()) {
      return 0;
    }
    taken[i] = t + 1;
    int slot = offsets[i] + t;
    long h = handles[slot];
    handles[slot] = 0;
    return h;
  }

  /**
   * Returns how many objects of pool {@code i} can still be taken.
   *
   * @param i the pool's index
   * @return the count, {@code 0} when not held
   */
  public int remaining(int i) {
    return isHeld() ? counts[i] - taken[i] : 0;
  }

  /**
   * Returns everything not taken to the pools (reserves first) and makes the ticket idle. No-op unless held.
   * If a backing allocator refuses an object, the others are still returned, the refused one stays in the
   * ticket, the ticket stays held, and the first exception propagates: a retry returns exactly the rest.
   */
  public void release() {
    if (!isHeld()) {
      return;
    }
    boolean wake = false;
    RuntimeException first = null;
    for (int i = 0; i < pools.length; i++) {
      int off = offsets[i];
      try {
        wake |= pools[i].giveBack(handles, off + taken[i], off + counts[i], true);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (wake) {
      queue.grantWaiters();
    }
    if (first != null) {
      throw first;
    }
    for (int i = 0; i < pools.length; i++) {
      taken[i] = counts[i];
    }
    setState(IDLE);
  }

  /**
   * Hands every handle over to the caller, as when all were taken, and makes the ticket idle.
   *
   * @param dst destination
   * @param off first slot
   */
  public void handOver(long[] dst, int off) {
    System.arraycopy(handles, 0, dst, off, total);
    java.util.Arrays.fill(handles, ObjectAllocator.NO_HANDLE);
    for (int i = 0; i < pools.length; i++) {
      taken[i] = counts[i];
    }
    setState(IDLE);
  }

  /** Refills the reserves of every pool from the backing allocator, as far as the demand goes. */
  void refillReserves() {
    for (int i = 0; i < pools.length; i++) {
      pools[i].refill(counts[i]);
    }
  }

  void recordWait(long nanos) {
    MempoolEvents.reservationWait(this, nanos);
    acquisitions++;
    waits++;
    totalWaitNanos += nanos;
    maxWaitNanos = Math.max(maxWaitNanos, nanos);
    maxOvertaken = Math.max(maxOvertaken, lastOvertaken);
    for (MempoolCore p : pools) {
      p.recordWait(nanos);
    }
  }

  String describe() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pools.length; i++) {
      sb.append(i == 0 ? "" : " + ").append(counts[i]).append(" of '").append(pools[i].name()).append('\'');
    }
    return sb.append(reclaiming ? " (reclaiming)" : "").toString();
  }

  /** The ticket's statistics. */
  public record Counters(
      long acquisitions,
      long waits,
      long totalWaitNanos,
      long maxWaitNanos,
      long maxOvertaken,
      long claims) {}

  /**
   * Returns the ticket's statistics.
   *
   * @return the counters
   */
  public Counters counters() {
    long c;
    synchronized (queue.lock) {
      c = claims;
    }
    return new Counters(acquisitions, waits, totalWaitNanos, maxWaitNanos, maxOvertaken, c);
  }

  // VarHandle mechanics
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Ticket.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
