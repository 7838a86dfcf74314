package io.github.slabkit.mempool.internal;

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
 */
public final class Ticket {
  static final int IDLE = 0;
  static final int QUEUED = 1;
  static final int HELD = 2;

  final MempoolCore[] pools;
  final int[] counts;
  final int[] offsets;
  final long[] handles;
  private final int[] taken;
  private final int[] fromBacking;
  final int total;
  final long waitTimeoutNanos;

  // Queue state, guarded by ReservationQueue.LOCK.
  @Nullable Ticket prev;
  @Nullable Ticket next;
  @Nullable Thread waiter;
  long takesAtEnqueue;
  long lastOvertaken;

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
   * @param pools distinct pools
   * @param counts objects wanted from each, each at least 1
   */
  public Ticket(MempoolCore[] pools, int[] counts) {
    this.pools = pools;
    this.counts = counts;
    this.offsets = new int[pools.length];
    int sum = 0;
    long wait = Long.MAX_VALUE;
    for (int i = 0; i < pools.length; i++) {
      offsets[i] = sum;
      sum += counts[i];
      wait = Math.min(wait, pools[i].waitTimeoutNanos());
    }
    this.total = sum;
    this.handles = new long[sum];
    this.taken = new int[pools.length];
    this.fromBacking = new int[pools.length];
    this.waitTimeoutNanos = wait;
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
   * The fast path: for each pool the backing allocator without waiting, then the reserve if nobody waits
   * for it; all pools or none.
   *
   * @return whether the ticket is now held
   */
  public boolean tryFast() {
    checkOpen("acquire");
    for (int i = 0; i < pools.length; i++) {
      MempoolCore p = pools[i];
      int off = offsets[i];
      int n = counts[i];
      int got = p.fillFromBacking(handles, off, n);
      if (got < n && !p.takeFromReserve(handles, off + got, n - got)) {
        rollback(i, got);
        return false;
      }
      fromBacking[i] = got;
    }
    for (int i = 0; i < pools.length; i++) {
      pools[i].countAllocated(fromBacking[i], counts[i] - fromBacking[i]);
      taken[i] = 0;
    }
    acquisitions++;
    setState(HELD);
    return true;
  }

  private void rollback(int failed, int gotInFailed) {
    boolean wake = false;
    for (int j = 0; j < failed; j++) {
      wake |= pools[j].giveBack(handles, offsets[j], offsets[j] + counts[j], false);
    }
    wake |= pools[failed].giveBack(handles, offsets[failed], offsets[failed] + gotInFailed, false);
    if (wake) {
      ReservationQueue.grantWaiters();
    }
  }

  /** Called by the queue, under its lock, when it granted the ticket from the reserves. */
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
   */
  public void release() {
    if (!isHeld()) {
      return;
    }
    boolean wake = false;
    for (int i = 0; i < pools.length; i++) {
      int off = offsets[i];
      wake |= pools[i].giveBack(handles, off + taken[i], off + counts[i], true);
      taken[i] = counts[i];
    }
    setState(IDLE);
    if (wake) {
      ReservationQueue.grantWaiters();
    }
  }

  /**
   * Hands every handle over to the caller, as when all were taken, and makes the ticket idle.
   *
   * @param dst destination
   * @param off first slot
   */
  public void handOver(long[] dst, int off) {
    System.arraycopy(handles, 0, dst, off, total);
    for (int i = 0; i < pools.length; i++) {
      taken[i] = counts[i];
    }
    setState(IDLE);
  }

  /** Refills the reserves of every pool from the backing allocator, as far as the demand goes. */
  boolean refillReserves() {
    boolean grew = false;
    for (int i = 0; i < pools.length; i++) {
      grew |= pools[i].refill(counts[i]);
    }
    return grew;
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

  /**
   * Returns {acquisitions, waits, totalWaitNanos, maxWaitNanos, maxOvertaken}.
   *
   * @return the counters
   */
  public long[] counters() {
    return new long[] {acquisitions, waits, totalWaitNanos, maxWaitNanos, maxOvertaken};
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
