package io.github.slabkit.mempool.internal;

import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The one queue in which every waiting allocation and reservation of every mempool in the JVM waits, and
 * the all-or-nothing grant across pools.
 *
 * <h2>Implementation overview</h2>
 * A waiter is a {@link Ticket}: the pools and counts it needs. A ticket that cannot be satisfied at once
 * releases everything it got (it holds nothing while it waits) and is appended to a doubly linked FIFO list
 * under {@link #LOCK}; each of its pools counts it in {@code waiters}, which closes the pool's reserve to
 * newcomers (see {@link MempoolCore#allocateFast}). A grant scan, run under the lock whenever a reserve with
 * waiters grows (a free, a returned reservation, a refill) and whenever a ticket is queued or leaves, walks
 * the list from the head in order. A ticket is granted when no earlier ticket still waits for any of its
 * pools and every one of its pools' reserves holds what it needs; it then takes all its objects from the
 * reserves at once. A ticket that is not granted blocks its pools for every later ticket in this scan. This is
 * btrfs's space-reservation tickets ({@code fs/btrfs/space-info.c}: tickets are served strictly from the head,
 * so a large request is never starved by a stream of small ones) generalised to several pools, and the
 * all-or-nothing fill of the kernel's {@code mempool_alloc_bulk}.
 *
 * <p>Why no deadlock: waiting tickets hold nothing. Among tickets sharing a pool the order is the global
 * enqueue order, the same in every pool, so there is no cycle of tickets each waiting for another to be served
 * first; the oldest ticket is never blocked by another ticket, only by the reserves. Its pools' reserves only
 * grow while it waits (newcomers may not take from them) and every object taken from a reserve was taken by a
 * holder that does not wait on the queue (checked mode enforces that for reservations), so each free refills
 * them, up to {@code minNr} which is at least every demand. Unrelated pools do not block each other: a ticket
 * for pool C is not held up by an older ticket waiting for pool A.
 *
 * <p>Waiting: a waiter parks until granted, or until its pools' {@code waitTimeout} (5 s by default) passes;
 * then it refills the reserves of its pools from the backing allocator with reclaim allowed but without
 * waiting ({@code tryAllocate(0, unit)}) and runs a scan, as {@code mempool_alloc} retries the backing
 * allocator with {@code __GFP_DIRECT_RECLAIM} after {@code io_schedule_timeout(5*HZ)}. It does the same once
 * right after it is queued, as the kernel retries with reclaim at once when the reserve is empty. A waiter that
 * gives up (timeout, interrupt) leaves the list under the lock and a scan runs, since it may have blocked
 * others.
 *
 * <h2>Memory ordering</h2>
 * The list, {@code Ticket.prev/next/waiter/takesAtEnqueue} and every pool's {@code waiters} are written only
 * under {@link #LOCK}; pools' reserves are read and taken under the pool's lock, nested inside {@link #LOCK}
 * (lock order: queue, then pool; no pool lock is held while the queue lock is taken). The grant writes the
 * ticket's handles plainly and then stores its state {@code HELD} with release semantics before unparking the
 * owner; the owner's acquire load of the state makes the handles visible (and everything the freeing threads
 * did before their frees, which happened-before the scan through the pool and queue locks).
 */
public final class ReservationQueue {
  /** The queue lock. Also taken by {@link MempoolCore#resize} and {@link MempoolCore#close}. */
  static final Object LOCK = new Object();

  private static @Nullable Ticket head;
  private static @Nullable Ticket tail;
  private static long epoch;

  private ReservationQueue() {}

  /** Grants what can be granted, from the head. Called when a reserve with waiters grew. */
  public static void grantWaiters() {
    synchronized (LOCK) {
      grantLocked();
    }
  }

  /**
   * Queues the ticket and waits until it is granted, it times out, or (if allowed) the thread is interrupted.
   * The fast path must have failed and left the ticket idle.
   *
   * @param t the ticket, idle
   * @param timed whether {@code nanos} bounds the wait
   * @param nanos the bound
   * @param interruptible whether an interrupt ends the wait with {@link InterruptedException}; otherwise the
   *     interrupt status is kept and restored on return
   * @return {@code true} if granted (the ticket is held), {@code false} on timeout (the ticket is idle)
   * @throws InterruptedException if interruptible and interrupted; the ticket is then idle
   */
  public static boolean await(Ticket t, boolean timed, long nanos, boolean interruptible)
      throws InterruptedException {
    long start = System.nanoTime();
    synchronized (LOCK) {
      checkDemandsLocked(t);
      enqueueLocked(t);
      grantLocked();
    }
    boolean interrupted = false;
    try {
      long retryAt = start; // the first round retries the backing allocator with reclaim at once
      while (!t.isHeld()) {
        if (Thread.interrupted()) {
          if (interruptible) {
            if (cancel(t)) {
              t.release();
            }
            throw new InterruptedException("interrupted while waiting for " + describe(t));
          }
          interrupted = true;
        }
        long now = System.nanoTime();
        if (timed && now - start >= nanos) {
          if (!cancel(t)) {
            return false;
          }
          break;
        }
        if (now - retryAt >= 0) {
          if (t.refillReserves()) {
            grantWaiters();
          }
          retryAt = now + t.waitTimeoutNanos;
          continue;
        }
        long park = retryAt - now;
        if (timed) {
          park = Math.min(park, nanos - (now - start));
        }
        LockSupport.parkNanos(t, park);
      }
    } catch (RuntimeException | Error e) {
      if (cancel(t)) {
        t.release();
      }
      throw e;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    t.recordWait(System.nanoTime() - start);
    return true;
  }

  /** Leaves the queue. Returns true if the ticket was granted first (it is then held). */
  private static boolean cancel(Ticket t) {
    synchronized (LOCK) {
      if (!t.isQueued()) {
        return t.isHeld();
      }
      unlinkLocked(t);
      for (MempoolCore p : t.pools) {
        p.removeWaiter();
      }
      t.waiter = null;
      t.setState(Ticket.IDLE);
      grantLocked();
      return false;
    }
  }

  private static void checkDemandsLocked(Ticket t) {
    for (int i = 0; i < t.pools.length; i++) {
      MempoolCore p = t.pools[i];
      p.checkOpen("acquire");
      if (t.counts[i] > p.minNr()) {
        throw new IllegalStateException(
            p.name()
                + ": a wait for "
                + t.counts[i]
                + " objects at once, but the pool was resized to minNr="
                + p.minNr()
                + ": the reserve never holds more than minNr, so the wait could last forever. Resize the pool"
                + " back to at least "
                + t.counts[i]
                + " or ask for fewer objects");
      }
    }
  }

  private static void enqueueLocked(Ticket t) {
    t.waiter = Thread.currentThread();
    long takes = 0;
    for (MempoolCore p : t.pools) {
      p.addWaiter();
      takes += p.reserveTakesLocked();
    }
    t.takesAtEnqueue = takes;
    t.prev = tail;
    t.next = null;
    if (tail == null) {
      head = t;
    } else {
      tail.next = t;
    }
    tail = t;
    t.setState(Ticket.QUEUED);
  }

  private static void unlinkLocked(Ticket t) {
    Ticket p = t.prev;
    Ticket n = t.next;
    if (p == null) {
      head = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      tail = p;
    } else {
      n.prev = p;
    }
    t.prev = null;
    t.next = null;
  }

  private static void grantLocked() {
    if (head == null) {
      return;
    }
    long e = ++epoch;
    if (e == 0) {
      e = ++epoch; // 0 means "never blocked"
    }
    for (Ticket t = head; t != null; ) {
      Ticket next = t.next;
      if (grantable(t, e)) {
        unlinkLocked(t);
        long takes = 0;
        for (int i = 0; i < t.pools.length; i++) {
          t.pools[i].grant(t.handles, t.offsets[i], t.counts[i]);
          takes += t.pools[i].reserveTakesLocked();
        }
        t.lastOvertaken = takes - t.takesAtEnqueue - t.total;
        t.granted();
        t.setState(Ticket.HELD); // release: the handles before the state
        Thread w = t.waiter;
        t.waiter = null;
        if (w != null) {
          LockSupport.unpark(w);
        }
      } else {
        for (MempoolCore p : t.pools) {
          p.blockedEpoch = e; // strict FIFO per pool: no later ticket may pass this one
        }
      }
      t = next;
    }
  }

  private static boolean grantable(Ticket t, long e) {
    for (MempoolCore p : t.pools) {
      if (p.blockedEpoch == e) {
        return false;
      }
    }
    for (int i = 0; i < t.pools.length; i++) {
      if (t.pools[i].reserveLevelLocked() < t.counts[i]) {
        return false;
      }
    }
    return true;
  }

  /** The largest demand of a queued ticket on the pool, 0 if none. Under {@link #LOCK}. */
  static int maxQueuedDemandLocked(MempoolCore pool) {
    int max = 0;
    for (Ticket t = head; t != null; t = t.next) {
      for (int i = 0; i < t.pools.length; i++) {
        if (t.pools[i] == pool) {
          max = Math.max(max, t.counts[i]);
        }
      }
    }
    return max;
  }

  /**
   * Returns the number of tickets waiting now, in all pools.
   *
   * @return the count
   */
  public static int queuedTickets() {
    synchronized (LOCK) {
      int n = 0;
      for (Ticket t = head; t != null; t = t.next) {
        n++;
      }
      return n;
    }
  }

  private static String describe(Ticket t) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < t.pools.length; i++) {
      sb.append(i == 0 ? "" : " + ").append(t.counts[i]).append(" of '").append(t.pools[i].name()).append('\'');
    }
    return sb.toString();
  }
}
