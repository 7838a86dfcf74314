package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.DIO_LOCKED;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Range locks under concurrency: mutual exclusion, no lost wake-up, waiters of disjoint ranges not woken,
 * no waiting while holding part of a range, interruption, timeouts. Every wait is bounded: a hang fails.
 */
class ExtentTreeLockTest {
  /** The builder of every tree of this test; B+tree subclasses override it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  private static final long DEADLINE_MS = 30_000;
  private final ExtentTree tree = builder("locks").build();

  @AfterEach
  void closeTree() {
    tree.close(); // also proves that no test left a lock or a waiter behind
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  private static void join(Thread t) throws InterruptedException {
    t.join(DEADLINE_MS);
    if (t.isAlive()) {
      t.interrupt();
      fail(t.getName() + " did not finish: lost wake-up or deadlock");
    }
  }

  private static Thread start(String name, AtomicReference<Throwable> failure, ThrowingRunnable body) {
    return Thread.ofPlatform()
        .name(name)
        .daemon()
        .start(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                failure.compareAndSet(null, e);
              }
            });
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static void check(AtomicReference<Throwable> failure) {
    if (failure.get() != null) {
      throw new AssertionError("a worker failed", failure.get());
    }
  }

  @Test
  void mutualExclusionOnOverlappingRanges() throws Exception {
    int universe = 256;
    int threads = 8;
    AtomicIntegerArray owner = new AtomicIntegerArray(universe);
    AtomicLong acquisitions = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 1; t <= threads; t++) {
      int id = t;
      workers.add(
          start(
              "excl-" + t,
              failure,
              () -> {
                SplittableRandom rnd = new SplittableRandom(id);
                for (int i = 0; i < 2_000; i++) {
                  int s = rnd.nextInt(universe);
                  int e = Math.min(universe - 1, s + rnd.nextInt(32));
                  switch (rnd.nextInt(4)) {
                    case 0 -> tree.lockInterruptibly(s, e, LOCKED, null);
                    case 1 -> {
                      if (!tree.tryLock(s, e, LOCKED, 10, TimeUnit.SECONDS)) {
                        throw new AssertionError("timed out");
                      }
                    }
                    case 2 -> {
                      while (!tree.tryLock(s, e)) {
                        Thread.onSpinWait();
                      }
                    }
                    default -> tree.lock(s, e);
                  }
                  for (int b = s; b <= e; b++) {
                    if (!owner.compareAndSet(b, 0, id)) {
                      throw new AssertionError("byte " + b + " owned by " + owner.get(b) + " while " + id + " locked it");
                    }
                  }
                  if (!tree.rangeHasAll(s, e, LOCKED)) {
                    throw new AssertionError("locked range lacks LOCKED");
                  }
                  tree.set(s, e, DIRTY); // work inside the lock
                  for (int b = s; b <= e; b++) {
                    owner.set(b, 0);
                  }
                  tree.unlock(s, e);
                  acquisitions.incrementAndGet();
                }
              }));
    }
    for (Thread w : workers) {
      join(w);
    }
    check(failure);
    assertEquals(threads * 2_000L, acquisitions.get());
    assertFalse(tree.rangeHasAny(0, universe - 1, LOCKED));
    assertEquals(0, tree.waiterCount());
    tree.verify();
    tree.clear(0, universe, DIRTY);
  }

  @Test
  void noLostWakeUpUnderHeavyContention() throws Exception {
    int threads = 6;
    AtomicLong inside = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      workers.add(
          start(
              "contend-" + t,
              failure,
              () -> {
                for (int i = 0; i < 3_000; i++) {
                  long s = (id + i) % 3L; // [0,4], [1,5], [2,6]: every two overlap
                  tree.lock(s, s + 4);
                  if (inside.incrementAndGet() != 1) {
                    throw new AssertionError("two holders");
                  }
                  inside.decrementAndGet();
                  tree.unlock(s, s + 4);
                }
              }));
    }
    for (Thread w : workers) {
      join(w);
    }
    check(failure);
    assertEquals(0, tree.waiterCount());
    assertTrue(tree.isEmpty());
  }

  @Test
  void waitersOfDisjointRangesAreNotWoken() throws Exception {
    tree.lock(0, 9);
    tree.lock(100, 109);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread a = start("wait-low", failure, () -> {
      tree.lock(0, 9);
      tree.unlock(0, 9);
    });
    Thread b = start("wait-high", failure, () -> {
      tree.lock(100, 109);
      tree.unlock(100, 109);
    });
    await("two waiters", () -> tree.waiterCount() == 2);
    long wakeups = tree.lockWakeups();
    tree.unlock(0, 9);
    join(a);
    assertEquals(wakeups + 1, tree.lockWakeups(), "only the waiter of [0, 9] was woken");
    assertEquals(1, tree.waiterCount(), "the waiter of [100, 109] still waits");
    assertTrue(b.isAlive());
    tree.unlock(100, 109);
    join(b);
    check(failure);
    assertEquals(wakeups + 2, tree.lockWakeups());
  }

  @Test
  void aWaiterNeverHoldsPartOfItsRange() throws Exception {
    tree.lock(50, 59);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = start("wide", failure, () -> {
      tree.lock(0, 99);
      tree.unlock(0, 99);
    });
    await("the wide locker to wait", () -> tree.waiterCount() == 1);
    assertTrue(tree.tryLock(0, 49), "the prefix the waiter locked before the conflict was undone");
    assertTrue(tree.tryLock(60, 99), "nothing after the conflict is held either");
    tree.unlock(0, 49);
    tree.unlock(60, 99); // overlaps the waiter's range: it wakes, sees [50, 59] still locked, waits again
    await("the wide locker to wait again", () -> tree.waiterCount() == 1);
    tree.unlock(50, 59);
    join(t);
    check(failure);
    assertTrue(tree.isEmpty());
  }

  @Test
  void lockAndDioLockAreIndependent() {
    tree.lock(0, 9);
    assertTrue(tree.tryLock(0, 9, DIO_LOCKED, null));
    assertFalse(tree.tryLock(5, 5));
    assertFalse(tree.tryLock(5, 5, DIO_LOCKED, null));
    tree.unlock(0, 9);
    tree.unlock(0, 9, DIO_LOCKED, null);
    assertTrue(tree.isEmpty());
  }

  @Test
  void interruptEndsAnInterruptibleWaitHoldingNothing() throws Exception {
    tree.lock(10, 19);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<Boolean> interrupted = new AtomicReference<>(false);
    Thread t = start("interruptible", failure, () -> {
      try {
        tree.lockInterruptibly(0, 29, LOCKED, null);
        tree.unlock(0, 29);
      } catch (InterruptedException e) {
        interrupted.set(true);
      }
    });
    await("waiter", () -> tree.waiterCount() == 1);
    t.interrupt();
    join(t);
    check(failure);
    assertTrue(interrupted.get());
    assertEquals(0, tree.waiterCount());
    assertEquals(List.of(new Extent(10, 19, LOCKED)), tree.states(), "nothing held by the interrupted waiter");
    tree.unlock(10, 19);
  }

  @Test
  void uninterruptibleLockKeepsWaitingAndRestoresTheInterrupt() throws Exception {
    tree.lock(0, 0);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>(false);
    Thread t = start("uninterruptible", failure, () -> {
      tree.lock(0, 0);
      flag.set(Thread.currentThread().isInterrupted());
      tree.unlock(0, 0);
    });
    await("waiter", () -> tree.waiterCount() == 1);
    t.interrupt();
    Thread.sleep(20);
    assertTrue(t.isAlive(), "still waiting after the interrupt");
    tree.unlock(0, 0);
    join(t);
    check(failure);
    assertTrue(flag.get(), "interrupt status restored");
  }

  @Test
  void timedTryLockTimesOutLeavingTheTreeUnchanged() throws Exception {
    tree.lock(5, 5);
    List<Extent> before = tree.states();
    assertFalse(tree.tryLock(0, 9, LOCKED, 20, TimeUnit.MILLISECONDS));
    assertEquals(before, tree.states());
    assertEquals(0, tree.waiterCount());
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> tree.tryLock(0, 9, LOCKED, 1, TimeUnit.SECONDS));
    assertFalse(Thread.interrupted());
    tree.unlock(5, 5);
  }

  @Test
  void closeRefusesWhileThreadsWaitAndNamesThem() throws Exception {
    tree.lock(0, 9);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = start("closer-victim", failure, () -> {
      tree.lock(0, 9);
      tree.unlock(0, 9);
    });
    await("waiter", () -> tree.waiterCount() == 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, tree::close);
    assertTrue(e.getMessage().contains("1 lock waiter(s) [0, 9] by closer-victim"), e.getMessage());
    assertTrue(e.getMessage().contains("[0, 9] LOCKED"), e.getMessage());
    tree.unlock(0, 9);
    join(t);
    check(failure);
  }
}
