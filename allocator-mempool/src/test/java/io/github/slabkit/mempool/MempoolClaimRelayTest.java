package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Claims must lapse for everyone. Two reservations {A: 1, C: 1} queue while thread X holds C's only object;
 * X then allocates from A (C before A: a declared order, correct code). A's reserve holds an object the whole
 * time, but the two reservations claimed A in turns, each as the other's claim ended, with no window between
 * them: X was held back for ever, so it never freed C, and the reservations never got C. The documentation
 * promises that a queued reservation holds other code back for at most one claim window at a time.
 */
class MempoolClaimRelayTest {
  private static final long WATCHDOG_MS = 5_000;

  @Test
  void twoQueuedReservationsDoNotRelayTheirClaimsForEver() throws Exception {
    TestAllocator slabA = new TestAllocator("relay-a-backing", 16, 64, 1);
    TestAllocator slabC = new TestAllocator("relay-c-backing", 16, 64, 3);
    ReservationDomain domain = ReservationDomain.create("relay", Duration.ofMillis(40));
    Mempool c = Mempool.builder("relay-c", slabC).minNr(1).allocationOrder(1).domain(domain).build();
    Mempool a = Mempool.builder("relay-a", slabA).minNr(1).allocationOrder(2).domain(domain).build();
    slabA.failAlways(true);
    slabC.failAlways(true);
    long hc = c.allocate(); // C's only object, held by this thread (X)
    CompletableFuture<Reservation> r1 =
        CompletableFuture.supplyAsync(() -> Reservation.of(a, 1).and(c, 1).acquire(), Thread::startVirtualThread);
    Waiting.until("the first reservation waits", () -> domain.waiting() == 1);
    CompletableFuture<Reservation> r2 =
        CompletableFuture.supplyAsync(() -> Reservation.of(a, 1).and(c, 1).acquire(), Thread::startVirtualThread);
    Waiting.until("both reservations wait", () -> domain.waiting() == 2);
    Thread.sleep(150); // over three claim windows: the reservations claim A and C in turns
    long ha = a.tryAllocate(WATCHDOG_MS, TimeUnit.MILLISECONDS);
    if (ha == 0) {
      String waiters = domain.describeWaiters();
      c.free(hc); // let everyone finish
      fail("A's reserve held an object for " + WATCHDOG_MS + " ms, but two queued reservations kept"
          + " claiming it in turns:\n" + waiters);
    }
    a.free(ha);
    c.free(hc);
    Reservation first = watch(r1, domain);
    first.close();
    Reservation second = watch(r2, domain);
    assertTrue(second.isHeld());
    second.close();
    assertEquals(0, domain.waiting());
    a.close();
    c.close();
    assertEquals(0, slabA.live());
    assertEquals(0, slabC.live());
  }

  private static <T> T watch(CompletableFuture<T> f, ReservationDomain domain) throws Exception {
    try {
      return f.get(WATCHDOG_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no progress in " + WATCHDOG_MS + " ms; waiting:\n" + domain.describeWaiters(), e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }
}
