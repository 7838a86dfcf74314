package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Registrations (issue 11, item 8) and the thread safety of charge, credit and the wait for credit. */
class MemoryBudgetTest {

  @Test
  void closingARegistrationTwiceRemovesOnlyItself() {
    MemoryBudget budget = MemoryBudget.ofBytes("regs", 100);
    AtomicInteger calls = new AtomicInteger();
    Shrinker s =
        wanted -> {
          calls.incrementAndGet();
          return 0;
        };
    MemoryBudget.Registration first = budget.register(s);
    MemoryBudget.Registration second = budget.register(s);
    MemoryBudget.Registration other = budget.register(wanted -> 0);
    assertEquals(3, budget.shrinkerCount());
    first.close();
    first.close();
    assertEquals(2, budget.shrinkerCount(), "a second close() must not remove another registration");
    budget.tryCharge(100);
    budget.reclaim(50);
    assertEquals(1, calls.get(), "the second registration of the same shrinker is still asked");
    second.close();
    other.close();
    assertEquals(0, budget.shrinkerCount());
  }

  /**
   * Stress: threads charge (without and with waiting) and credit at random; the budget never exceeds its
   * limit, every successful charge is credited once, and it ends at 0 with no thread stuck (watchdog).
   */
  @Test
  void concurrentChargeCreditAndWaitKeepTheBudgetExact() throws Exception {
    long limit = 1000;
    MemoryBudget budget = MemoryBudget.ofBytes("stress", limit);
    int threads = 6;
    int rounds = 20_000;
    AtomicLong maxSeen = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Thread.ofPlatform()
          .start(
              () -> {
                try {
                  ThreadLocalRandom r = ThreadLocalRandom.current();
                  for (int i = 0; i < rounds; i++) {
                    long bytes = 1 + r.nextInt(400);
                    boolean ok =
                        r.nextBoolean()
                            ? budget.tryCharge(bytes)
                            : budget.charge(bytes, 5, TimeUnit.MILLISECONDS);
                    long u = budget.used();
                    maxSeen.accumulateAndGet(u, Math::max);
                    if (u > limit) {
                      throw new AssertionError("used " + u + " exceeds the limit " + limit);
                    }
                    if (ok) {
                      if ((i & 7) == 0) {
                        Thread.yield();
                      }
                      budget.credit(bytes);
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              });
    }
    if (!done.await(120, TimeUnit.SECONDS)) {
      fail("watchdog: charging threads made no progress in 120 s");
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertEquals(0, budget.used(), "every charge credited exactly once");
    assertTrue(maxSeen.get() <= limit);
    assertEquals(0, budget.waitingThreads());
  }

  /**
   * A charge that must wait is released by a credit from another thread: the waiter is seen waiting before
   * the credit is given, so the test checks the wake-up, not a lucky order.
   */
  @Test
  void aWaitingChargeIsReleasedByACreditFromAnotherThread() throws Exception {
    for (int round = 0; round < 200; round++) {
      MemoryBudget budget = MemoryBudget.ofBytes("wake", 10);
      budget.tryCharge(10);
      AtomicReference<Boolean> result = new AtomicReference<>();
      Thread waiter =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      result.set(budget.charge(4, 60, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                      result.set(false);
                    }
                  });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (budget.waitingThreads() == 0) {
        if (System.nanoTime() - deadline > 0) {
          fail("watchdog: the charge never started waiting");
        }
        Thread.onSpinWait();
      }
      budget.credit(5);
      waiter.join(30_000);
      assertTrue(!waiter.isAlive(), "watchdog: the credit did not wake the waiting charge (lost wake-up)");
      assertEquals(Boolean.TRUE, result.get());
      assertEquals(9, budget.used());
    }
  }
}
