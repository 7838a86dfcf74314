package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.ObjectAllocator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The rollback a grant scan does when a newcomer took between its check and its take ({@code
 * Ticket.tryGrantLocked}) runs under the queue lock, inside the scan. If the backing allocator's free throws
 * there, the give-back must not start a grant scan of its own: nested in the running one, it could grant the
 * very ticket whose slots are being emptied, and the refused objects, about to be kept as strays, would be
 * overwritten by the granted ones. {@code MempoolCore.giveBackInGrantScan} is that give-back; the plain one,
 * used everywhere else, grants the waiters its objects can serve before it rethrows. Both are checked here
 * on the same setup: one waiter, a reserve of one that a give-back refills, and a backing whose free throws.
 */
class GrantScanGiveBackTest {

  /**
   * A pool whose reserve of one is empty and whose backing is exhausted, the pool's objects all held; and
   * two objects {@code x}, {@code y} taken from the backing directly, never counted by the pool, as the
   * objects a grant scan rolls back are not, and two more, {@code s1}, {@code s2}, to make strays of.
   */
  private record Drained(Mempool pool, FaultyAllocator backing, List<Long> held, long x, long y, long s1, long s2) {}

  private static Drained drained(String name) {
    FaultyAllocator backing = new FaultyAllocator(name, 8);
    long x = backing.allocate();
    long y = backing.allocate();
    long s1 = backing.allocate();
    long s2 = backing.allocate();
    // A wait timeout and a claim window far beyond the test: the waiter retries and scans by itself only at
    // once and then after 60 s, so within the test only another thread's grant scan can serve it.
    ReservationDomain domain = ReservationDomain.create(name, Duration.ofSeconds(60));
    Mempool pool =
        Mempool.builder(name, backing).minNr(1).domain(domain).waitTimeout(Duration.ofSeconds(60)).build();
    List<Long> held = ReservationFixtures.drain(pool);
    assertEquals(4, held.size());
    assertEquals(0, pool.reserveLevel());
    return new Drained(pool, backing, held, x, y, s1, s2);
  }

  /** Starts a timed allocation that queues, and returns once it is queued and parked. */
  private static Thread waiter(Mempool pool, AtomicLong got) {
    Thread t = new Thread(() -> {
      try {
        got.set(pool.tryAllocate(30, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        got.set(-1);
      }
    }, "waiter-" + pool.name());
    got.set(-2);
    t.start();
    Waiting.until("the waiter is queued and parked",
        () -> pool.mempoolStatistics().waiting() == 1 && t.getState() == Thread.State.TIMED_WAITING);
    return t;
  }

  @Test
  void theGiveBackInsideAGrantScanThrowsWithoutGrantingWaiters() throws Exception {
    Drained d = drained("in-scan");
    AtomicLong got = new AtomicLong();
    Thread t = waiter(d.pool(), got);
    long x = d.x();
    long y = d.y();
    long[] slots = {x, y};
    d.backing().throwOnFreeAfter(0);
    assertThrows(IllegalStateException.class, () -> d.pool().core().giveBackInGrantScan(slots, 0, 2));
    assertEquals(0, slots[0], "x refilled the reserve: its slot is emptied");
    assertEquals(y, slots[1], "y was refused by the backing: it stays in its slot for the caller to keep");
    assertEquals(1, d.pool().reserveLevel(), "the reserve keeps x: no grant scan handed it to the waiter");
    Thread.sleep(200);
    assertEquals(-2, got.get(), "no grant scan ran: the waiter still waits");
    assertEquals(1, d.pool().mempoolStatistics().waiting());

    // The caller (the grant scan) keeps the refused object as a stray; then the waiter is served as usual.
    d.pool().core().keepStrays(slots, 1, 2);
    d.backing().heal();
    t.interrupt();
    Waiting.join(t);
    assertEquals(-1, got.get(), "the interrupted waiter took nothing");
    for (long h : d.held()) {
      d.pool().free(h);
    }
    d.backing().free(d.s1());
    d.backing().free(d.s2());
    d.pool().close(); // returns the reserve and the stray
    assertEquals(0, d.backing().live(), "nothing lost: the stray went back at close");
  }

  @Test
  void thePlainGiveBackGrantsTheWaiterBeforeItRethrows() throws Exception {
    Drained d = drained("plain");
    AtomicLong got = new AtomicLong();
    Thread t = waiter(d.pool(), got);
    long x = d.x();
    long y = d.y();
    long[] slots = {x, y};
    d.backing().throwOnFreeAfter(0);
    assertThrows(IllegalStateException.class, () -> d.pool().core().giveBack(slots, 0, 2, false));
    Waiting.join(t);
    assertEquals(x, got.get(), "the waiter was granted x, which the give-back put in the reserve");
    assertEquals(y, slots[1]);
    d.pool().core().keepStrays(slots, 1, 2);
    d.backing().heal();
    d.pool().free(x);
    for (long h : d.held()) {
      d.pool().free(h);
    }
    d.backing().free(d.s1());
    d.backing().free(d.s2());
    d.pool().close();
    assertEquals(0, d.backing().live(), "nothing lost");
    assertNotEquals(ObjectAllocator.NO_HANDLE, x);
    assertTrue(t.getState() == Thread.State.TERMINATED);
  }

  /**
   * The strays a give-back retries first are returned by a give-back of their own: inside a grant scan it
   * must not grant either. Here the retried stray s1 refills the reserve while a ticket waits, and s2 is
   * refused: a granting retry would hand s1 to the waiter from inside the scan.
   */
  @Test
  void theStraysRetriedInsideAGrantScanGrantNoWaiterEither() throws Exception {
    Drained d = drained("strays-in-scan");
    d.pool().core().keepStrays(new long[] {d.s1(), d.s2()}, 0, 2);
    AtomicLong got = new AtomicLong();
    Thread t = waiter(d.pool(), got);
    long[] slots = {d.x()};
    d.backing().throwOnFreeAfter(0);
    assertThrows(IllegalStateException.class, () -> d.pool().core().giveBackInGrantScan(slots, 0, 1));
    assertEquals(1, d.pool().reserveLevel(), "the reserve keeps the retried stray: no scan handed it out");
    assertEquals(d.x(), slots[0], "x was refused (the reserve was full again): it stays in its slot");
    Thread.sleep(200);
    assertEquals(-2, got.get(), "no grant scan ran: the waiter still waits");

    d.pool().core().keepStrays(slots, 0, 1);
    d.backing().heal();
    t.interrupt();
    Waiting.join(t);
    assertEquals(-1, got.get(), "the interrupted waiter took nothing");
    for (long h : d.held()) {
      d.pool().free(h);
    }
    d.backing().free(d.y());
    d.pool().close(); // returns the reserve (s1) and the strays (s2, x)
    assertEquals(0, d.backing().live(), "nothing lost");
  }
}
