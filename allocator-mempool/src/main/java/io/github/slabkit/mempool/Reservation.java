package io.github.slabkit.mempool;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.mempool.internal.HoldAndWaitCheck;
import io.github.slabkit.mempool.internal.MempoolCore;
import io.github.slabkit.mempool.internal.Ticket;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Atomic multi-object preallocation: one operation declares every object it needs, from one or more
 * {@link Mempool}s, and gets all of them or none.
 * {@snippet :
 * try (Reservation r = Reservation.of(states, 2).and(buffers, 1).acquire()) {
 *   long s1 = r.take(states);   // never blocks, never fails
 *   long b = r.take(buffers);
 *   // ... use what was taken; whatever is not taken goes back on close()
 * }
 * }
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>All or nothing: a reservation that must wait holds nothing while it waits, so no two reservations
 *       can each hold what the other waits for. This is what makes the two-pool ABBA deadlock of per-object
 *       blocking allocation impossible.
 *   <li>A blocking {@link Builder#acquire() acquire} never fails: each demand is at most its pool's
 *       {@code minNr} (checked when the reservation is built), and the pool's reserve refills to
 *       {@code minNr} as objects are freed.
 *   <li>Work-conserving and fair: no request waits while what it needs is at hand; each free is offered to
 *       the oldest waiter it now satisfies; a waiter that has waited one claim window claims its pools, so a
 *       demand for a whole reserve is not starved by a stream of small ones (see {@link ReservationDomain}).
 *       A queued reservation never makes other code wait for an object that is there for longer than one
 *       claim window at a time, so adding a reservation cannot deadlock correct code elsewhere.
 *   <li>{@link #take} never blocks and never fails within the reserved count.
 *   <li>Nothing is lost when a backing allocator throws: an acquisition that cannot complete, or meets an
 *       exception, gives every pool back what it took before it returns or throws. If a backing allocator's
 *       {@code free} throws there too, the acquisition throws that exception (or carries it as suppressed
 *       under the one it was already throwing), every other object is still returned, and the pool keeps the
 *       refused ones: it returns them at its next give-back (any reservation's or bulk allocation's) or at its
 *       {@link Mempool#close() close()}.
 * </ul>
 *
 * <h2>Not guaranteed</h2>
 * The fast path of a reservation across several pools takes from them one after the other and gives back
 * what it took if one pool is short; while it does, a concurrent {@link Builder#tryAcquire() tryAcquire} or
 * {@link Mempool#tryAllocate() tryAllocate} may return nothing although, had the two run one after the
 * other, it would have succeeded. Non-waiting calls can thus fail spuriously under contention; blocking
 * calls are not affected (the give-back wakes waiters), and the all-or-nothing outcome for the reservation
 * itself always holds.
 *
 * <h2>Reuse without garbage</h2>
 * A reservation can be {@link Builder#build() built} once, unacquired, and then {@link #reacquire()}d,
 * {@link #take}n from and {@link #close()}d any number of times; none of these allocate heap memory (not even
 * when waiting).
 *
 * <h2>Checked mode</h2>
 * {@link #checkedMode(boolean)} turns on detection of hold-and-wait: a blocking, unbounded acquire or mempool
 * allocation on a thread that holds an open reservation fails with an {@link IllegalStateException} that
 * explains why. It costs one {@code ThreadLocal} lookup per blocking call and per acquisition and an
 * uncontended atomic increment and decrement per acquire/close pair, and also checks frees into a reserve
 * for double frees (a scan of the reserve, {@code O(minNr)}); off, it costs one volatile read per call. The
 * system property {@code slabkit.mempool.checked=true} turns it on at startup. Tests and the demo turn it on.
 *
 * <h2>Thread safety and memory consistency</h2>
 * A reservation is used by one thread at a time; hand it to another thread with a happens-before edge (a
 * {@code java.util.concurrent} queue, a lock). Closing it on another thread than the one that acquired it is
 * allowed. Actions prior to freeing an object into a pool happen-before the acquisition that is granted that
 * object.
 */
public final class Reservation implements AutoCloseable {
  private final Mempool[] pools;
  private final Ticket ticket;
  private final MempoolCore[] cores;
  private final String acquireOp;
  private HoldAndWaitCheck.@Nullable Holdings holder;

  private Reservation(Mempool[] pools, int[] counts, boolean reclaiming) {
    this.pools = pools;
    MempoolCore[] cores = new MempoolCore[pools.length];
    this.cores = cores;
    StringBuilder sb = new StringBuilder("Reservation[");
    for (int i = 0; i < pools.length; i++) {
      cores[i] = pools[i].core();
      sb.append(i == 0 ? "" : " + ").append(counts[i]).append(" of '").append(pools[i].name()).append('\'');
    }
    this.acquireOp = sb.append("].acquire()").toString();
    this.ticket = new Ticket(cores, counts, reclaiming);
  }

  /**
   * Starts declaring a reservation.
   *
   * @param pool a pool
   * @param count how many objects of it, {@code 1..pool.minNr()}
   * @return a builder
   * @throws IllegalArgumentException if {@code count < 1} or {@code count > pool.minNr()}
   */
  public static Builder of(Mempool pool, int count) {
    return new Builder().and(pool, count);
  }

  /**
   * Turns the checked mode (hold-and-wait detection, reserve double-free detection) on or off for the JVM.
   * Another thread sees the change from its next synchronization with the caller on (its start, a lock, a
   * queue hand-off): the pools' fast paths read the mode without a fence. Turn it on before starting the
   * threads to be checked, or with {@code -Dslabkit.mempool.checked=true}.
   *
   * @param on whether to check
   */
  public static void checkedMode(boolean on) {
    HoldAndWaitCheck.enable(on);
  }

  /**
   * Returns whether the checked mode is on.
   *
   * @return whether it is on
   */
  public static boolean checkedMode() {
    return HoldAndWaitCheck.enabled();
  }

  /** Declares the demands of a reservation, then acquires it or builds it unacquired. */
  public static final class Builder {
    private Mempool[] pools = new Mempool[2];
    private int[] counts = new int[2];
    private int size;
    private AllocationPriority priority = AllocationPriority.NORMAL;

    private Builder() {}

    /**
     * Sets the priority of the reservation's demands (default {@link AllocationPriority#NORMAL}): a reclaiming
     * reservation may take its pools' headroom and passes ordinary waiters' claims. Use it for operations
     * that give back at least what they reserve.
     *
     * @param priority the priority
     * @return this builder
     */
    public Builder priority(AllocationPriority priority) {
      this.priority = Objects.requireNonNull(priority, "priority");
      return this;
    }

    /**
     * Adds a demand. Adding the same pool again adds to its count.
     *
     * @param pool a pool
     * @param count how many objects of it, at least 1; the total for the pool at most {@code pool.minNr()}
     * @return this builder
     * @throws IllegalArgumentException if {@code count < 1}, or the pool's total exceeds its {@code minNr}:
     *     such a reservation could wait forever, because the reserve never holds more than {@code minNr}
     *     objects and a waiting reservation holds nothing (an ordinary reservation is checked against {@code
     *     minNr - headroom} when it is built), or the pool belongs to another {@link ReservationDomain} than
     *     the pools declared before
     */
    public Builder and(Mempool pool, int count) {
      Objects.requireNonNull(pool, "pool");
      Allocators.checkPositive("count of objects reserved from '" + pool.name() + "'", count);
      int i = 0;
      while (i < size && pools[i] != pool) {
        i++;
      }
      long total = (i < size ? (long) counts[i] : 0L) + count;
      int min = pool.minNr();
      if (total > min) {
        throw new IllegalArgumentException(pool.tooMany((int) Math.min(total, Integer.MAX_VALUE), min));
      }
      if (size > 0 && pools[0].core().queue() != pool.core().queue()) {
        throw new IllegalArgumentException(
            "pools '" + pools[0].name() + "' and '" + pool.name() + "' belong to different reservation"
                + " domains; a reservation spans pools of one domain: build them with the same"
                + " ReservationDomain (Mempool.Builder.domain)");
      }
      if (i == size) {
        if (size == pools.length) {
          pools = Arrays.copyOf(pools, size * 2);
          counts = Arrays.copyOf(counts, size * 2);
        }
        pools[size] = pool;
        size++;
      }
      counts[i] = (int) total;
      return this;
    }

    /**
     * Builds the reservation without acquiring it; acquire it with {@link Reservation#reacquire()} and
     * friends, as often as needed.
     *
     * @return an unacquired reservation
     * @throws IllegalArgumentException if an ordinary demand exceeds {@code minNr - headroom} of its pool
     */
    public Reservation build() {
      boolean reclaiming = priority == AllocationPriority.RECLAIMING;
      for (int i = 0; i < size; i++) {
        int limit = pools[i].core().demandLimit(reclaiming);
        if (counts[i] > limit) {
          throw new IllegalArgumentException(pools[i].tooMany(counts[i], limit));
        }
      }
      return new Reservation(Arrays.copyOf(pools, size), Arrays.copyOf(counts, size), reclaiming);
    }

    /**
     * Acquires every object, waiting (holding nothing) as long as it takes; never fails. Waits
     * uninterruptibly; the interrupt status is kept.
     *
     * @return the held reservation
     * @throws AllocatorClosedException if a pool is closed
     * @throws IllegalStateException in checked mode, if the thread already holds an open reservation
     */
    public Reservation acquire() {
      Reservation r = build();
      r.reacquire();
      return r;
    }

    /**
     * Acquires like {@link #acquire()}, but an interrupt ends the wait.
     *
     * @return the held reservation
     * @throws InterruptedException if interrupted; nothing is held then
     * @throws IllegalStateException in checked mode, if the thread already holds an open reservation
     */
    public Reservation acquireInterruptibly() throws InterruptedException {
      Reservation r = build();
      r.reacquireInterruptibly();
      return r;
    }

    /**
     * Acquires if every object is at hand now (backing allocators without waiting or reclaim, and reserves
     * nobody waits for).
     *
     * @return the held reservation, or {@code null}
     */
    public @Nullable Reservation tryAcquire() {
      Reservation r = build();
      return r.tryReacquire() ? r : null;
    }

    /**
     * Acquires, waiting (holding nothing, in line with the other waiters) up to the timeout.
     *
     * @param timeout the most to wait
     * @param unit its unit
     * @return the held reservation, or {@code null} on timeout
     * @throws InterruptedException if interrupted; nothing is held then
     */
    public @Nullable Reservation tryAcquire(long timeout, TimeUnit unit) throws InterruptedException {
      Reservation r = build();
      return r.tryReacquire(timeout, unit) ? r : null;
    }
  }

  /**
   * Acquires this (closed or never acquired) reservation's demands again, waiting as long as it takes;
   * never fails, allocates nothing.
   *
   * @throws IllegalStateException if it is held, or in checked mode if the thread holds another open
   *     reservation (hold-and-wait)
   * @throws AllocatorClosedException if a pool is closed
   */
  public void reacquire() {
    checkNotHeld();
    HoldAndWaitCheck.beforeAcquire(cores, acquireOp);
    if (!ticket.tryFast()) {
      HoldAndWaitCheck.beforeBlocking(cores, acquireOp);
      try {
        ticket.queue().await(ticket, false, 0, false);
      } catch (InterruptedException e) {
        throw new AssertionError("uninterruptible wait threw", e);
      }
    }
    holder = HoldAndWaitCheck.acquired();
  }

  /**
   * Acquires like {@link #reacquire()}, but an interrupt ends the wait.
   *
   * @throws InterruptedException if interrupted; nothing is held then
   * @throws IllegalStateException if it is held, or in checked mode on hold-and-wait
   */
  public void reacquireInterruptibly() throws InterruptedException {
    checkNotHeld();
    HoldAndWaitCheck.beforeAcquire(cores, acquireOp);
    if (Thread.interrupted()) {
      throw new InterruptedException(acquireOp + " called with the interrupt status set");
    }
    if (!ticket.tryFast()) {
      HoldAndWaitCheck.beforeBlocking(cores, acquireOp);
      ticket.queue().await(ticket, false, 0, true);
    }
    holder = HoldAndWaitCheck.acquired();
  }

  /**
   * Acquires if every object is at hand now; never waits, never reclaims, allocates nothing.
   *
   * @return whether it is now held
   * @throws IllegalStateException if it is already held
   */
  public boolean tryReacquire() {
    checkNotHeld();
    if (!ticket.tryFast()) {
      return false;
    }
    holder = HoldAndWaitCheck.acquired();
    return true;
  }

  /**
   * Acquires, waiting in line up to the timeout. A bounded wait is not reported by the checked mode.
   *
   * @param timeout the most to wait
   * @param unit its unit
   * @return whether it is now held
   * @throws InterruptedException if interrupted; nothing is held then
   * @throws IllegalStateException if it is already held
   */
  public boolean tryReacquire(long timeout, TimeUnit unit) throws InterruptedException {
    checkNotHeld();
    if (Thread.interrupted()) {
      throw new InterruptedException(acquireOp + " called with the interrupt status set");
    }
    if (!ticket.tryFast()) {
      long nanos = unit.toNanos(timeout);
      if (nanos <= 0 || !ticket.queue().await(ticket, true, nanos, true)) {
        return false;
      }
    }
    holder = HoldAndWaitCheck.acquired();
    return true;
  }

  private void checkNotHeld() {
    if (ticket.isHeld()) {
      throw new IllegalStateException(
          acquireOp + ": the reservation is already held; close() it before acquiring it again");
    }
  }

  /**
   * Takes one reserved object of {@code pool}. Never blocks.
   *
   * @param pool one of the reservation's pools
   * @return a handle of {@code pool}; free it with {@code pool.free(h)}
   * @throws IllegalStateException if the reservation is not held (closed, or never acquired), if
   *     {@code pool} is not one of its pools, or if all objects reserved from {@code pool} were taken
   */
  public long take(Mempool pool) {
    int i = indexOf(pool);
    long h = ticket.take(i);
    if (h == 0) {
      if (!ticket.isHeld()) {
        throw new IllegalStateException(
            acquireOp + ": take('" + pool.name() + "') on a reservation that is not held (closed or never"
                + " acquired)");
      }
      throw new IllegalStateException(
          acquireOp + ": take('" + pool.name() + "') beyond the reserved count: all objects reserved from '"
              + pool.name() + "' were taken; reserve more");
    }
    HoldAndWaitCheck.took(cores[i], h);
    return h;
  }

  /**
   * Returns how many objects of {@code pool} can still be taken.
   *
   * @param pool one of the reservation's pools
   * @return the count, {@code 0} if not held
   * @throws IllegalStateException if {@code pool} is not one of its pools
   */
  public int remaining(Mempool pool) {
    return ticket.remaining(indexOf(pool));
  }

  private int indexOf(Mempool pool) {
    for (int i = 0; i < pools.length; i++) {
      if (pools[i] == pool) {
        return i;
      }
    }
    throw new IllegalStateException(
        acquireOp + ": pool '" + pool.name() + "' is not part of this reservation");
  }

  /**
   * Returns whether the reservation holds its objects (acquired and not closed).
   *
   * @return whether held
   */
  public boolean isHeld() {
    return ticket.isHeld();
  }

  /**
   * Returns this reservation's counters.
   *
   * @return the statistics
   */
  public ReservationStatistics statistics() {
    Ticket.Counters c = ticket.counters();
    return new ReservationStatistics(
        pools.length,
        ticket.total(),
        c.acquisitions(),
        c.waits(),
        c.totalWaitNanos(),
        c.maxWaitNanos(),
        c.maxOvertaken(),
        c.claims());
  }

  /**
   * Returns every object not taken to its pool (refilling reserves first, waking waiters). Idempotent: a
   * reservation that is not held is left as it is. Allocates nothing.
   *
   * <p>If a backing allocator's {@code free} throws for an object that its full reserve does not keep, every
   * other object is still returned, the refused ones stay in the reservation, which stays held, and the first
   * exception propagates: a later {@code close()} returns exactly the rest.
   *
   * @throws RuntimeException the first exception of a backing allocator's {@code free}; the reservation is
   *     then still held
   */
  @Override
  public void close() {
    if (!ticket.isHeld()) {
      return;
    }
    ticket.release();
    HoldAndWaitCheck.released(holder);
    holder = null;
  }

  @Override
  public String toString() {
    return acquireOp.substring(0, acquireOp.length() - ".acquire()".length()) + (isHeld() ? " held" : " idle");
  }
}
