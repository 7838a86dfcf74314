package io.github.slabkit.mempool.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The queue in which waiting allocations and reservations of a group of mempools wait, and the
 * all-or-nothing grant across pools. Pools share a queue when they are built in one
 * {@code ReservationDomain}; the JVM-wide {@link #shared()} queue is the default.
 *
 * <h2>Implementation overview</h2>
 * A waiter is a {@link Ticket}: the pools and counts it needs, and a priority. A ticket that cannot be
 * satisfied at once releases everything it got (it holds nothing while it waits) and is appended to a doubly
 * linked list under the queue lock; each of its pools counts it in {@code waiters}, so a free into that pool's
 * reserve knows to run a grant scan. A scan, run under the lock whenever a reserve with waiters grows (a
 * free, a returned reservation, a refill), whenever a ticket is queued or leaves, and whenever a claim starts
 * or ends, walks the list from the oldest ticket and grants every ticket whose demand its pools' reserves can
 * now meet, taking all its objects at once (the all-or-nothing fill of the kernel's {@code
 * mempool_alloc_bulk}). A ticket that cannot be granted does not block younger ones: pools are
 * work-conserving, and no request waits while what it may take is there. Newcomers take from reserves under
 * the same rule as waiters ({@link Reserve}), so a free serves whoever asks first after it, and the scan
 * offers it to the oldest waiter that it now satisfies.
 *
 * <h2>Claims: the starvation bound</h2>
 * Work conservation alone lets a stream of small requests starve a large one. A ticket that has waited one
 * claim window ({@link #claimWindowNanos}, 10 ms by default) claims its pools, if no other active claim is on
 * any of them: for one window, other requests may take from those reserves only what leaves the claimant's
 * demand in place (reclaiming requests pass ordinary claims). Objects freed during the window therefore
 * accumulate for the claimant. When the window ends unmet, the claim lapses for one window (the others run
 * freely: no ticket may claim those pools during the lapse, or two starving tickets could pass the claim
 * to each other with no window between them and hold a third request back for ever) and may then be
 * renewed; the oldest ticket claims first. So a demand is granted within the first
 * claim window in which the objects held by others come back, and the longest any other request is held back
 * by claims is one window at a time, after which it is served if its objects are there.
 *
 * <h2>Why no deadlock (the wait-for graph)</h2>
 * A waiting ticket holds nothing from the pools (the fast path gives back what it took before the ticket is
 * queued; a direct fill gives back before it returns to waiting), so no edge of the wait-for graph leaves a
 * waiting ticket towards a holder of something it holds: an edge goes from a waiting request to the
 * <em>holders</em> of its pools' objects, which are running callers, never waiting tickets of this queue
 * (checked mode rejects a thread that holds pool objects or a reservation and blocks, unless a declared pool
 * order allows it). The only edge between two waiters is a claim, and a claim ends by the clock, not by
 * anyone's progress: it cannot be part of a cycle that lasts. Hence any cycle must pass through user code that
 * holds objects while it waits, which is exactly what per-object blocking allocation in inconsistent order
 * does, and what checked mode reports.
 *
 * <p>Waiting: a waiter parks until granted, until its claim starts or ends, or until its pools'
 * {@code waitTimeout} (5 s by default) passes; then it tries its whole demand directly from the backing
 * allocators with reclaim allowed but without waiting ({@code tryAllocate(0, unit)}), refills the reserves of
 * its pools the same way, and runs a scan, as {@code mempool_alloc} retries the backing allocator with {@code
 * __GFP_DIRECT_RECLAIM} after {@code io_schedule_timeout(5*HZ)}. It does the same once right after it is
 * queued. A waiter that gives up (timeout, interrupt) leaves the list under the lock and a scan runs.
 *
 * <h2>Memory ordering</h2>
 * The list, the tickets' queue fields and every pool's {@code waiters} and claims are written only under the
 * queue lock; reserves are read and taken under the pool's monitor, nested inside the queue lock (lock order:
 * queue, then pool; no pool monitor is held while the queue lock is taken). The grant writes the ticket's
 * handles plainly and then stores its state {@code HELD} with release semantics before unparking the owner;
 * the owner's acquire load of the state makes the handles visible (and everything the freeing threads did
 * before their frees, which happened-before the scan through the pool monitors).
 */
public final class ReservationQueue {
  /** The default claim window. */
  public static final Duration DEFAULT_CLAIM_WINDOW = Duration.ofMillis(10);

  private static final ReservationQueue SHARED = new ReservationQueue("shared", DEFAULT_CLAIM_WINDOW);

  /** The queue lock. Also taken by {@link MempoolCore#resize} and {@link MempoolCore#close}. */
  final Object lock = new Object();

  private final String name;
  private final long claimWindowNanos;
  private @Nullable Ticket head;
  private @Nullable Ticket tail;

  private ReservationQueue(String name, Duration claimWindow) {
    this.name = name;
    this.claimWindowNanos = Math.max(1, saturatedNanos(claimWindow));
  }

  /**
   * Creates a queue of its own.
   *
   * @param name for messages
   * @param claimWindow how long a starving waiter's claim lasts, and how long it waits before it claims
   * @return the queue
   */
  public static ReservationQueue create(String name, Duration claimWindow) {
    return new ReservationQueue(name, claimWindow);
  }

  /**
   * Returns the JVM-wide queue that pools use unless built in a domain of their own.
   *
   * @return the shared queue
   */
  public static ReservationQueue shared() {
    return SHARED;
  }

  /**
   * Returns the queue's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the claim window.
   *
   * @return nanoseconds
   */
  public long claimWindowNanos() {
    return claimWindowNanos;
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** Grants what can be granted, oldest first. Called when a reserve with waiters grew. */
  public void grantWaiters() {
    synchronized (lock) {
      grantLocked(System.nanoTime());
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
  public boolean await(Ticket t, boolean timed, long nanos, boolean interruptible)
      throws InterruptedException {
    long start = System.nanoTime();
    synchronized (lock) {
      checkDemandsLocked(t);
      enqueueLocked(t, start);
      grantLocked(start);
    }
    boolean interrupted = false;
    try {
      long retryAt = start; // the first round retries the backing allocators with reclaim at once
      while (!t.isHeld()) {
        if (Thread.interrupted()) {
          if (interruptible) {
            if (cancel(t)) {
              t.release();
            }
            throw new InterruptedException("interrupted while waiting for " + t.describe());
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
          if (t.tryDirect(this)) {
            break;
          }
          t.refillReserves();
          grantWaiters();
          retryAt = System.nanoTime() + t.waitTimeoutNanos;
          continue;
        }
        long scanAt = nextScanAt(t);
        if (now - scanAt >= 0) {
          grantWaiters(); // a claim starts or ends; the scan moves the ticket's next scan time on
          continue;
        }
        long wakeAt = retryAt - scanAt < 0 ? retryAt : scanAt;
        long park = wakeAt - now;
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

  private long nextScanAt(Ticket t) {
    synchronized (lock) {
      return t.nextScanAt;
    }
  }

  /** Leaves the queue. Returns true if the ticket was granted first (it is then held). */
  private boolean cancel(Ticket t) {
    synchronized (lock) {
      if (!t.isQueued()) {
        return t.isHeld();
      }
      leaveLocked(t);
      t.setState(Ticket.IDLE);
      grantLocked(System.nanoTime());
      return false;
    }
  }

  /**
   * Moves a queued ticket to held with handles the owner filled directly from the backing allocators, if it
   * is still queued. Called by {@link Ticket#tryDirect}.
   *
   * @return whether the ticket was still queued (and is now held)
   */
  boolean completeDirectly(Ticket t, long[] filled) {
    synchronized (lock) {
      if (!t.isQueued()) {
        return false;
      }
      leaveLocked(t);
      System.arraycopy(filled, 0, t.handles, 0, t.total);
      t.granted();
      t.setState(Ticket.HELD);
      grantLocked(System.nanoTime()); // its claims are gone: others may now take
      return true;
    }
  }

  private void leaveLocked(Ticket t) {
    unlinkLocked(t);
    for (MempoolCore p : t.pools) {
      p.reserve().removeWaiter();
      p.reserve().dropClaim(t);
    }
    t.claiming = false;
    t.waiter = null;
  }

  private static void checkDemandsLocked(Ticket t) {
    for (int i = 0; i < t.pools.length; i++) {
      MempoolCore p = t.pools[i];
      p.checkOpen("acquire");
      int limit = p.demandLimit(t.reclaiming);
      if (t.counts[i] > limit) {
        throw new IllegalStateException(
            p.name()
                + ": a wait for "
                + t.counts[i]
                + " objects at once, but the pool now lets "
                + (t.reclaiming ? "a reclaiming" : "an ordinary")
                + " request take at most "
                + limit
                + " (minNr="
                + p.minNr()
                + ", headroom="
                + p.reserve().headroom()
                + ") from its reserve, so the wait could last forever. Resize the pool or ask for fewer"
                + " objects");
      }
    }
  }

  private void enqueueLocked(Ticket t, long now) {
    t.waiter = Thread.currentThread();
    long takes = 0;
    for (MempoolCore p : t.pools) {
      p.reserve().addWaiter();
      takes += p.reserve().takesLocked();
    }
    t.takesAtEnqueue = takes;
    t.claiming = false;
    t.nextScanAt = now + claimWindowNanos; // it may claim after waiting one window
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

  private void unlinkLocked(Ticket t) {
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

  private void grantLocked(long now) {
    for (Ticket t = head; t != null; ) {
      Ticket next = t.next;
      if (t.tryGrantLocked()) {
        long takes = 0;
        for (MempoolCore p : t.pools) {
          takes += p.reserve().takesLocked();
        }
        Thread w = t.waiter;
        leaveLocked(t);
        t.lastOvertaken = Math.max(0, takes - t.takesAtEnqueue - t.total);
        t.granted();
        t.setState(Ticket.HELD); // release: the handles before the state
        if (w != null) {
          LockSupport.unpark(w);
        }
      } else {
        updateClaimLocked(t, now);
      }
      t = next;
    }
  }

  /** Starts, keeps or ends the claim of a ticket that could not be granted. */
  private void updateClaimLocked(Ticket t, long now) {
    if (t.claiming) {
      if (now - t.claimUntil >= 0) {
        long lapseEnd = now + claimWindowNanos;
        for (MempoolCore p : t.pools) {
          p.reserve().lapse(t, lapseEnd); // nobody claims these pools in the lapse, not only t
        }
        t.claiming = false;
        t.nextScanAt = lapseEnd; // a window without the claim, then it may claim again
        wake(t);
      }
      return;
    }
    if (now - t.nextScanAt < 0) {
      return;
    }
    long blockedUntil = now;
    for (MempoolCore p : t.pools) {
      long u = p.reserve().otherClaimUntil(t, now);
      if (u - blockedUntil > 0) {
        blockedUntil = u;
      }
    }
    if (blockedUntil != now) {
      t.nextScanAt = blockedUntil; // an older claim holds one of its pools: try when it ends
      return;
    }
    long until = now + claimWindowNanos;
    for (int i = 0; i < t.pools.length; i++) {
      t.pools[i].reserve().claim(t, t.counts[i], t.reclaiming, until);
    }
    t.claiming = true;
    t.claimUntil = until;
    t.nextScanAt = until;
    t.claims++;
    wake(t); // its owner must wake when the claim ends, not at its old wake time
  }

  private static void wake(Ticket t) {
    Thread w = t.waiter;
    if (w != null && w != Thread.currentThread()) {
      LockSupport.unpark(w);
    }
  }

  /** The largest demand of a queued ticket on the pool, 0 if none. Under the queue lock. */
  int maxQueuedDemandLocked(MempoolCore pool, boolean reclaiming) {
    int max = 0;
    for (Ticket t = head; t != null; t = t.next) {
      if (t.reclaiming != reclaiming) {
        continue;
      }
      for (int i = 0; i < t.pools.length; i++) {
        if (t.pools[i] == pool) {
          max = Math.max(max, t.counts[i]);
        }
      }
    }
    return max;
  }

  /**
   * Returns the number of tickets waiting now.
   *
   * @return the count
   */
  public int queuedTickets() {
    synchronized (lock) {
      int n = 0;
      for (Ticket t = head; t != null; t = t.next) {
        n++;
      }
      return n;
    }
  }

  /**
   * Describes the waiting tickets, oldest first (for watchdogs and error messages).
   *
   * @return one line per ticket
   */
  public String describeWaiters() {
    StringBuilder sb = new StringBuilder();
    synchronized (lock) {
      for (Ticket t = head; t != null; t = t.next) {
        Thread w = t.waiter;
        sb.append(w == null ? "?" : w.getName())
            .append(" waits for ")
            .append(t.describe())
            .append(t.claiming ? " (claiming)" : "")
            .append('\n');
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "ReservationQueue[" + name + "]";
  }
}
