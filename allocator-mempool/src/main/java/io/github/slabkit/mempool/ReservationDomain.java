package io.github.slabkit.mempool;

import io.github.slabkit.mempool.internal.ReservationQueue;
import java.time.Duration;
import java.util.Objects;

/**
 * A group of mempools whose waiting allocations and reservations share one queue. A {@link Reservation} can
 * span pools of one domain only. Pools are built in the JVM-wide {@link #shared()} domain unless {@link
 * Mempool.Builder#domain(ReservationDomain) given} one of their own; unrelated subsystems that never reserve
 * across each other's pools can use separate domains so that their waiters do not share a lock.
 *
 * <p>The domain also sets the <em>claim window</em>, the bound on starvation: a waiting request that has
 * waited one window claims its pools for one window (others may then take only what leaves its demand in
 * place), lets the claim lapse for one window if it is still not served (no other request claims those pools
 * during the lapse either), and claims again. So no request is held back by claims for longer than one window
 * at a time, however many requests starve, and a large demand is granted within the first
 * window in which the objects held by others come back. The default window is 10 ms.
 *
 * <p>Thread safe; immutable.
 */
public final class ReservationDomain {
  private static final ReservationDomain SHARED = new ReservationDomain(ReservationQueue.shared());

  private final ReservationQueue queue;

  private ReservationDomain(ReservationQueue queue) {
    this.queue = queue;
  }

  /**
   * Returns the JVM-wide domain, the default of every pool.
   *
   * @return the shared domain
   */
  public static ReservationDomain shared() {
    return SHARED;
  }

  /**
   * Creates a domain with the default claim window.
   *
   * @param name for messages and diagnostics
   * @return a new domain
   */
  public static ReservationDomain create(String name) {
    return create(name, ReservationQueue.DEFAULT_CLAIM_WINDOW);
  }

  /**
   * Creates a domain.
   *
   * @param name for messages and diagnostics
   * @param claimWindow how long a starving waiter waits before it claims its pools, and how long a claim
   *     lasts; positive (very long values saturate)
   * @return a new domain
   * @throws IllegalArgumentException if {@code claimWindow} is zero or negative
   */
  public static ReservationDomain create(String name, Duration claimWindow) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(claimWindow, "claimWindow");
    if (claimWindow.isZero() || claimWindow.isNegative()) {
      throw new IllegalArgumentException(
          "reservation domain '" + name + "': claimWindow must be positive, was " + claimWindow);
    }
    return new ReservationDomain(ReservationQueue.create(name, claimWindow));
  }

  ReservationQueue queue() {
    return queue;
  }

  /**
   * Returns the domain's name.
   *
   * @return the name
   */
  public String name() {
    return queue.name();
  }

  /**
   * Returns the claim window.
   *
   * @return the window
   */
  public Duration claimWindow() {
    return Duration.ofNanos(queue.claimWindowNanos());
  }

  /**
   * Returns how many allocations and reservations wait in this domain now.
   *
   * @return the count
   */
  public int waiting() {
    return queue.queuedTickets();
  }

  /**
   * Describes who waits for what, oldest first: one line per waiter, naming its thread, its demand and
   * whether it holds a claim. For watchdogs and diagnostics.
   *
   * @return the description, empty if nobody waits
   */
  public String describeWaiters() {
    return queue.describeWaiters();
  }

  @Override
  public String toString() {
    return "ReservationDomain[" + name() + ", claimWindow=" + claimWindow() + "]";
  }
}
