package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regressions of issue 10's mempool deadlocks: a queued reservation must not make correct single-object code
 * wait for an object that is there. Each wait is bounded by a watchdog that fails the test (and says who
 * waits for what) instead of hanging the build.
 */
class MempoolLivenessTest {
  private static final long WATCHDOG_MS = 5_000;

  private TestAllocator slabA;
  private TestAllocator slabB;
  private TestAllocator slabC;

  @BeforeEach
  void setUp() {
    Reservation.checkedMode(true);
    slabA = new TestAllocator("slab-a", 16, 64, 1);
    slabB = new TestAllocator("slab-b", 16, 64, 2);
    slabC = new TestAllocator("slab-c", 16, 64, 3);
  }

  @AfterEach
  void tearDown() {
    Reservation.checkedMode(false);
    slabA.close();
    slabB.close();
    slabC.close();
  }

  /**
   * Issue 10, item 3: thread X holds an object of pool C and then allocates from pool A, taking pools in one
   * declared order (C before A), which the kernel allows. A reservation of {A, C} was queued first and waits
   * for X's C object. X must get A's reserved object: with strict first-come-first-served it waited behind
   * the reservation, which waited for X, forever.
   */
  @Test
  void aQueuedReservationDoesNotBlockOrderedSingleObjectCode() throws Exception {
    ReservationDomain domain = ReservationDomain.create("item3", Duration.ofMillis(20));
    Mempool c = Mempool.builder("c", slabC).minNr(1).allocationOrder(1).domain(domain).build();
    Mempool a = Mempool.builder("a", slabA).minNr(1).allocationOrder(2).domain(domain).build();
    slabA.failAlways(true);
    slabC.failAlways(true);
    CompletableFuture<Long> xHoldsC = new CompletableFuture<>();
    CompletableFuture<Void> reservationQueued = new CompletableFuture<>();
    CompletableFuture<String> x =
        CompletableFuture.supplyAsync(
            () -> {
              long hc = c.allocate(); // the reserve's only C object
              xHoldsC.complete(hc);
              reservationQueued.join();
              long ha = a.allocate(); // A's reserve holds an object: it must be had
              a.free(ha);
              c.free(hc);
              return "done";
            },
            Thread::startVirtualThread);
    xHoldsC.get(WATCHDOG_MS, TimeUnit.MILLISECONDS);
    CompletableFuture<Reservation> reservation =
        CompletableFuture.supplyAsync(
            () -> Reservation.of(a, 1).and(c, 1).acquire(), Thread::startVirtualThread);
    Waiting.until("the reservation waits", () -> domain.waiting() == 1);
    reservationQueued.complete(null);
    assertEquals("done", watch(x, domain), "X finished although a reservation was queued first");
    Reservation r = watch(reservation, domain);
    assertTrue(r.isHeld(), "and then the reservation got both");
    r.close();
    a.close();
    c.close();
  }

  /**
   * Issue 10, item 3's related fault: an {@code A.allocate()} waited more than 3 s (wait timeout 200 ms) with
   * A's reserve full and A's backing recovered, because an earlier {A, B} reservation was waiting for B.
   */
  @Test
  void aSingleAllocationIsNotHeldBackByAReservationWaitingForAnotherPool() throws Exception {
    ReservationDomain domain = ReservationDomain.create("related", Duration.ofMillis(20));
    Mempool a = Mempool.builder("a", slabA).minNr(1).waitTimeout(Duration.ofMillis(200)).domain(domain).build();
    Mempool b = Mempool.builder("b", slabB).minNr(1).waitTimeout(Duration.ofMillis(200)).domain(domain).build();
    slabA.failAlways(true);
    slabB.failAlways(true);
    long hb = b.allocate(); // B is drained and held here for the whole test
    CompletableFuture<Reservation> reservation =
        CompletableFuture.supplyAsync(
            () -> Reservation.of(a, 1).and(b, 1).acquire(), Thread::startVirtualThread);
    Waiting.until("the reservation waits for B", () -> domain.waiting() == 1);
    Thread.sleep(60); // long enough for the reservation to claim A
    long first = a.tryAllocate();
    // Whether the claim holds A's reserve back or not, a blocking allocation gets an object: from the
    // recovered backing at its retry, or from the reserve once the claim lapses.
    slabA.failAlways(false);
    CompletableFuture<Long> single = CompletableFuture.supplyAsync(a::allocate, Thread::startVirtualThread);
    long ha = watch(single, domain);
    assertNotEquals(0, ha);
    a.free(ha);
    if (first != 0) {
      a.free(first);
    }
    b.free(hb);
    Reservation r = watch(reservation, domain);
    r.close();
    a.close();
    b.close();
  }

  /** A blocking allocation beside a claim is held back for at most about one claim window at a time. */
  @Test
  void aClaimLapsesByTheClock() throws Exception {
    ReservationDomain domain = ReservationDomain.create("lapse", Duration.ofMillis(30));
    Mempool a = Mempool.builder("a", slabA).minNr(2).domain(domain).build();
    Mempool b = Mempool.builder("b", slabB).minNr(1).domain(domain).build();
    slabA.failAlways(true);
    slabB.failAlways(true);
    long hb = b.allocate();
    CompletableFuture<Reservation> reservation =
        CompletableFuture.supplyAsync(
            () -> Reservation.of(a, 2).and(b, 1).acquire(), Thread::startVirtualThread);
    Waiting.until("the reservation waits for B", () -> domain.waiting() == 1);
    Waiting.until(
        "the reservation claims A", () -> domain.describeWaiters().contains("(claiming)"));
    assertEquals(0, a.tryAllocate(), "while the claim is active, A's reserve is kept for the claimant");
    long h = watch(CompletableFuture.supplyAsync(a::allocate, Thread::startVirtualThread), domain);
    assertNotEquals(0, h, "the claim lapsed and the blocking allocation got A's object");
    a.free(h);
    b.free(hb);
    Reservation r = watch(reservation, domain);
    assertTrue(r.statistics().claims() >= 1);
    r.close();
    a.close();
    b.close();
  }

  private static <T> T watch(CompletableFuture<T> f, ReservationDomain domain) throws Exception {
    try {
      T v = f.get(WATCHDOG_MS, TimeUnit.MILLISECONDS);
      assertNotNull(v);
      return v;
    } catch (TimeoutException e) {
      throw new AssertionError(
          "no progress for " + WATCHDOG_MS + " ms (a deadlock); waiting in domain '" + domain.name() + "':\n"
              + domain.describeWaiters(),
          e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }
}
