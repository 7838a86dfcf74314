package io.github.slabkit.mempool.internal;

import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The checked mode: detects hold-and-wait, a thread that holds an open reservation and then blocks without a
 * bound (a blocking {@code acquire}, a blocking mempool {@code allocate}). That is the first half of every
 * ABBA deadlock between pools: if the objects it waits for are held by a thread that waits for the objects
 * this thread holds, neither ever runs again.
 *
 * <p>When on, each thread has a counter of the reservations it acquired and has not closed (one
 * {@link AtomicInteger} per thread, created on its first acquisition). Cost when on: one {@code ThreadLocal}
 * lookup per blocking call and per acquisition, and one uncontended atomic increment and decrement per
 * acquire/close pair; no heap allocation after a thread's first acquisition. Cost when off: one volatile
 * read per blocking call and per acquisition. The counter moves with the reservation: closing it on another
 * thread decrements the counter of the thread that acquired it. Reservations acquired while the mode was off
 * are not counted. The check sees reservations only; objects taken by plain {@code allocate()} calls are not
 * tracked.
 */
public final class HoldAndWaitCheck {
  private static volatile boolean enabled = Boolean.getBoolean("slabkit.mempool.checked");

  private static final ThreadLocal<AtomicInteger> HELD = ThreadLocal.withInitial(AtomicInteger::new);

  private HoldAndWaitCheck() {}

  /**
   * Turns the checked mode on or off for the whole JVM.
   *
   * @param on whether to check
   */
  public static void enable(boolean on) {
    enabled = on;
  }

  /**
   * Returns whether the checked mode is on.
   *
   * @return whether it is on
   */
  public static boolean enabled() {
    return enabled;
  }

  /**
   * Fails if the current thread holds an open reservation and is about to block without a bound.
   *
   * @param operation what is about to block, e.g. {@code "Mempool 'states'.allocate()"}
   * @throws IllegalStateException if it would be hold-and-wait
   */
  public static void beforeBlocking(String operation) {
    if (!enabled) {
      return;
    }
    int held = HELD.get().get();
    if (held > 0) {
      throw new IllegalStateException(
          "hold-and-wait: thread '"
              + Thread.currentThread().getName()
              + "' holds "
              + held
              + " open reservation(s) and now blocks in "
              + operation
              + ". If what it waits for is held by a thread that waits for what this thread holds, both wait"
              + " forever (the ABBA deadlock between mempools). Declare everything the operation needs in one"
              + " reservation (Reservation.of(a, n).and(b, m).acquire()), close the open reservation before"
              + " blocking, or use a bounded wait (tryAcquire(timeout, unit), tryAllocate(timeout, unit)).");
    }
  }

  /**
   * Records that the current thread acquired a reservation.
   *
   * @return the counter to decrement on close, or {@code null} when the mode is off
   */
  public static @Nullable AtomicInteger acquired() {
    if (!enabled) {
      return null;
    }
    AtomicInteger c = HELD.get();
    c.incrementAndGet();
    return c;
  }

  /**
   * Records that a reservation was closed.
   *
   * @param counter what {@link #acquired()} returned for it
   */
  public static void released(@Nullable AtomicInteger counter) {
    if (counter != null) {
      counter.decrementAndGet();
    }
  }
}
