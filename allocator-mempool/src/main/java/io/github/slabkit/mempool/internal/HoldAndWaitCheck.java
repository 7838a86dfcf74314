package io.github.slabkit.mempool.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The checked mode: detects hold-and-wait, a thread that holds something of the mempools and then blocks
 * without a bound (a blocking {@code acquire}, {@code allocate} or {@code allocateBulk}). That is the first
 * half of every ABBA deadlock between pools: if the objects it waits for are held by a thread that waits for
 * what this thread holds, neither ever runs again. The kernel's rule is the same: a path may take at most one
 * object from a mempool before it blocks on it again, and pools used in one path must be taken in one order.
 *
 * <p>What a thread holds: the reservations it acquired and has not closed, and the objects it allocated from
 * a pool (or took from a reservation) that are neither freed nor {@linkplain #disowned disowned}. Ownership
 * follows the object: each pool maps a held handle to its holder ({@link Holdings}), so a free on another
 * thread, or a {@code disown} by library code that stored the object in a shared structure, releases the
 * holder's count. A reservation closed on another thread releases the thread that acquired it.
 *
 * <p>The rule: a thread may block on pools {@code S} only if it holds no reservation and every pool {@code Q}
 * it holds objects of has a declared order below every pool of {@code S} ({@code Mempool.Builder
 * .allocationOrder}, lockdep-style). Holding an object of a pool and blocking on the same pool is always
 * rejected. Bounded waits ({@code tryAllocate(timeout, unit)}) are not checked.
 *
 * <p>Cost when on: a {@code ThreadLocal} lookup and a synchronized map update per allocation and free; the
 * mode is for tests and debugging. Cost when off: one volatile read per allocation, free and blocking call.
 * Objects allocated while the mode was off are not tracked.
 */
public final class HoldAndWaitCheck {
  /**
   * Written with volatile semantics by {@link #enable}, read with plain semantics by {@link #enabled()}: the
   * fast paths read it on every allocation and free, and a volatile read there would stop the JIT from
   * keeping one call's fields for the next. A thread sees a change at its next synchronization with the
   * thread that made it (its start, a lock, a queue hand-off); the checks tolerate a mode turned on or off
   * while objects are held (see {@link #took}).
   */
  private static volatile boolean enabled = Boolean.getBoolean("slabkit.mempool.checked");

  private static final VarHandle ENABLED;

  static {
    try {
      ENABLED = MethodHandles.lookup().findStaticVarHandle(HoldAndWaitCheck.class, "enabled", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final ThreadLocal<Holdings> HOLDINGS = ThreadLocal.withInitial(Holdings::new);

  private HoldAndWaitCheck() {}

  /** What one thread holds. Guarded by its own monitor: other threads release what they free. */
  public static final class Holdings {
    private final String threadName = Thread.currentThread().getName();
    private int reservations;
    private final IdentityHashMap<MempoolCore, int[]> objects = new IdentityHashMap<>();

    // Entries are kept at zero, so steady allocation and free allocate nothing once a pool was seen.
    synchronized void addObject(MempoolCore pool) {
      int[] c = objects.get(pool);
      if (c == null) {
        c = new int[1];
        objects.put(pool, c);
      }
      c[0]++;
    }

    synchronized void removeObject(MempoolCore pool) {
      int[] c = objects.get(pool);
      if (c != null && c[0] > 0) {
        c[0]--;
      }
    }

    synchronized void addReservation(int delta) {
      reservations += delta;
    }

    synchronized @Nullable String violation(MempoolCore[] blockingOn, String operation, boolean objectsToo) {
      if (reservations > 0) {
        return "thread '"
            + threadName
            + "' holds "
            + reservations
            + " open reservation(s) and now blocks in "
            + operation;
      }
      if (!objectsToo) {
        return null;
      }
      for (Map.Entry<MempoolCore, int[]> e : objects.entrySet()) {
        if (e.getValue()[0] == 0) {
          continue;
        }
        MempoolCore held = e.getKey();
        for (MempoolCore p : blockingOn) {
          if (held == p || held.order() == 0 || p.order() == 0 || held.order() >= p.order()) {
            return "thread '"
                + threadName
                + "' holds "
                + e.getValue()[0]
                + " object(s) of mempool '"
                + held.name()
                + "'"
                + orderNote(held, p)
                + " and now blocks in "
                + operation;
          }
        }
      }
      return null;
    }

    private static String orderNote(MempoolCore held, MempoolCore p) {
      if (held == p) {
        return " (the same pool: once its reserve is drained by threads like this one, each holding one and"
            + " waiting for another, none can go on)";
      }
      if (held.order() == 0 || p.order() == 0) {
        return " (no allocation order is declared between '" + held.name() + "' and '" + p.name() + "')";
      }
      return " (declared allocation order " + held.order() + ", not below '" + p.name() + "''s "
          + p.order() + ")";
    }
  }

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
    return (boolean) ENABLED.get();
  }

  /**
   * Fails if the current thread holds something and is about to block without a bound on {@code pools}.
   *
   * @param pools what it will wait for
   * @param operation what is about to block, e.g. {@code "Mempool 'states'.allocate()"}
   * @throws IllegalStateException if it would be hold-and-wait
   */
  public static void beforeBlocking(MempoolCore[] pools, String operation) {
    check(pools, operation, true);
  }

  /**
   * Fails if the current thread holds an open reservation and acquires another: checked before the fast
   * path, so that nesting reservations is reported whether or not the second one would have to wait.
   *
   * @param pools the reservation's pools
   * @param operation the acquisition, for the message
   * @throws IllegalStateException if the thread holds an open reservation
   */
  public static void beforeAcquire(MempoolCore[] pools, String operation) {
    check(pools, operation, false);
  }

  private static void check(MempoolCore[] pools, String operation, boolean objectsToo) {
    if (!enabled()) {
      return;
    }
    String v = HOLDINGS.get().violation(pools, operation, objectsToo);
    if (v != null) {
      throw new IllegalStateException(
          "hold-and-wait: "
              + v
              + ". If what it waits for is held by a thread that waits for what this thread holds, both wait"
              + " forever (the ABBA deadlock between mempools). Declare everything the operation needs in one"
              + " reservation (Reservation.of(a, n).and(b, m).acquire()); or free or close what is held"
              + " before blocking; or use a bounded wait (tryAcquire(timeout, unit), tryAllocate(timeout,"
              + " unit)); or, if every thread takes these pools in one order, declare it with"
              + " Mempool.builder(...).allocationOrder(n), lower for the pool taken first.");
    }
  }

  /**
   * Records that the current thread now holds {@code h} of {@code pool}. No-op when the mode is off.
   *
   * @param pool the pool
   * @param h the handle
   */
  public static void took(MempoolCore pool, long h) {
    if (!enabled()) {
      return;
    }
    Holdings me = HOLDINGS.get();
    me.addObject(pool);
    Holdings previous = pool.owners().put(h, me);
    if (previous != null) {
      previous.removeObject(pool); // taken while the mode was being turned on and off: keep counts sane
    }
  }

  /**
   * Records that {@code h} of {@code pool} is no longer held by anyone (freed, or stored in a shared
   * structure). No-op when the mode is off or the handle was not tracked.
   *
   * @param pool the pool
   * @param h the handle
   */
  public static void disowned(MempoolCore pool, long h) {
    disownedForFree(pool, h);
  }

  /**
   * {@link #disowned} before a free that may still be refused: returns the holder it removed, for {@link
   * #freeRefused} to put back.
   *
   * @param pool the pool
   * @param h the handle
   * @return the thread's holdings that held {@code h}, or null (mode off, or not tracked)
   */
  public static @Nullable Holdings disownedForFree(MempoolCore pool, long h) {
    if (!enabled()) {
      return null;
    }
    Holdings owner = pool.owners().remove(h);
    if (owner != null) {
      owner.removeObject(pool);
    }
    return owner;
  }

  /**
   * Undoes {@link #disownedForFree} after the free was refused (a double free, a foreign handle): whoever
   * held the object still holds it. A double free of an object another thread took since is the case that
   * matters: without this, its new holder would vanish from the bookkeeping.
   *
   * @param pool the pool
   * @param h the handle
   * @param owner what {@link #disownedForFree} returned
   */
  public static void freeRefused(MempoolCore pool, long h, @Nullable Holdings owner) {
    if (owner == null) {
      return;
    }
    if (pool.owners().putIfAbsent(h, owner) == null) {
      owner.addObject(pool);
    }
  }

  /**
   * Forgets every object of a closed pool: nobody can wait for that pool any more, and its objects can no
   * longer be freed through it.
   *
   * @param pool the pool, closed
   */
  public static void poolClosed(MempoolCore pool) {
    for (Holdings h : pool.owners().clear()) {
      h.removeObject(pool);
    }
  }

  /**
   * Records that the current thread acquired a reservation.
   *
   * @return what to pass to {@link #released} on close, or {@code null} when the mode is off
   */
  public static @Nullable Holdings acquired() {
    if (!enabled()) {
      return null;
    }
    Holdings me = HOLDINGS.get();
    me.addReservation(1);
    return me;
  }

  /**
   * Records that a reservation was closed (on any thread).
   *
   * @param holder what {@link #acquired()} returned for it
   */
  public static void released(@Nullable Holdings holder) {
    if (holder != null) {
      holder.addReservation(-1);
    }
  }
}
