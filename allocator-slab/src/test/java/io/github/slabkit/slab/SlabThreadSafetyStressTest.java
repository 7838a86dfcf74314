package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.MemoryBudget;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * Stress tests, each of which can fail, for the thread-safety claims that have no jcstress test of their
 * own (issue 11): {@link SlabRegistry}, the idle trimmer and the JMX bean. Every wait has a watchdog.
 */
class SlabThreadSafetyStressTest {

  /** Runs {@code threads} copies of {@code body}; rethrows the first failure; fails if one hangs. */
  private static void runAll(int threads, ThrowingRunnable body) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread.ofPlatform()
          .start(
              () -> {
                try {
                  start.await();
                  body.run(id);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              });
    }
    start.countDown();
    if (!done.await(120, TimeUnit.SECONDS)) {
      fail("watchdog: stress threads made no progress in 120 s");
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run(int id) throws Exception;
  }

  /**
   * Caches join and leave one registry from several threads while others read it: a snapshot never lists a
   * cache twice, a cache is listed from its build until its close (checked by its own thread, which is the
   * only one that closes it), and the registry ends empty.
   */
  @Test
  void registryStaysExactUnderConcurrentBuildsClosesAndReads() throws Exception {
    SlabRegistry registry = new SlabRegistry();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger readerFailures = new AtomicInteger();
    Thread reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!stop.get()) {
                    List<SlabCache> snapshot = registry.caches();
                    if (new HashSet<>(snapshot).size() != snapshot.size()) {
                      readerFailures.incrementAndGet();
                    }
                    registry.slabInfo();
                  }
                });
    runAll(
        4,
        id -> {
          for (int i = 0; i < 300; i++) {
            SlabCache c =
                SlabCache.builder("reg-" + id).objectSize(8).objectsPerSlab(4).magazineSize(1)
                    .depotMagazines(2).registry(registry).build();
            if (!registry.caches().contains(c)) {
              throw new AssertionError("a built cache is missing from its registry");
            }
            c.close();
            if (registry.caches().contains(c)) {
              throw new AssertionError("a closed cache is still listed");
            }
          }
        });
    stop.set(true);
    reader.join(30_000);
    assertTrue(!reader.isAlive(), "watchdog: reader did not stop");
    assertEquals(0, readerFailures.get(), "the reader saw a cache listed twice");
    assertEquals(List.of(), registry.caches());
  }

  /**
   * The idle trimmer runs often while threads allocate and free in bursts with idle gaps: no object is
   * handed out twice or lost, the budget matches the slabs, and close finds no leak.
   */
  @Test
  void idleTrimmerRacingAllocationsLosesAndDuplicatesNothing() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("trim-stress", 64 * 64 * 16);
    SlabCache c =
        SlabCache.builder("trim-stress")
            .objectSize(64)
            .objectsPerSlab(16)
            .magazineSize(4)
            .maxEmptySlabs(0)
            .budget(budget)
            .trimWhenIdle(Duration.ofMillis(1))
            .throwOnLeak(true)
            .build();
    Set<Long> held = ConcurrentHashMap.newKeySet();
    runAll(
        4,
        id -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          List<Long> mine = new ArrayList<>();
          for (int burst = 0; burst < 60; burst++) {
            for (int i = 0; i < 40; i++) {
              if (r.nextBoolean() || mine.isEmpty()) {
                long h = c.allocate();
                if (!held.add(h)) {
                  throw new AssertionError("handed out twice: " + Long.toHexString(h));
                }
                c.segment(h).set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, h); // the memory is usable
                mine.add(h);
              } else {
                long h = mine.remove(r.nextInt(mine.size()));
                if (c.segment(h).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) != h) {
                  throw new AssertionError("an object's bytes changed while it was held");
                }
                held.remove(h);
                c.free(h);
              }
            }
            if (burst % 10 == 0) {
              Thread.sleep(3); // idle long enough for the trimmer to act
            }
          }
          for (long h : mine) {
            held.remove(h);
            c.free(h);
          }
        });
    SlabStatistics s = c.slabStatistics();
    assertEquals(0, s.activeObjects());
    // The idle trimmer may be releasing slabs at this very moment (off the slab lists first, then credited to
    // the budget), so one snapshot can catch the two apart; a charge that is really lost never matches.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (s.totalSlabs() * s.slabBytes() != budget.used() && System.nanoTime() < deadline) {
      Thread.sleep(1);
      s = c.slabStatistics();
    }
    assertEquals(s.totalSlabs() * s.slabBytes(), budget.used(), "the budget matches the slabs");
    c.close(); // throwOnLeak: any object lost by a trim would throw here
    assertEquals(0, budget.used());
  }

  /**
   * The MXBean is read through the platform MBean server while threads allocate and free and others
   * register it again: every read is within bounds, one bean is registered, and close unregisters it.
   */
  @Test
  void mbeanReadsAndRegistrationsRacingUseStaySane() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    int users = 3;
    int maxHeld = 50;
    SlabCache c = SlabCache.builder("jmx-stress").objectSize(32).objectsPerSlab(64).build();
    ObjectName on = c.registerMBean();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> readFailure = new AtomicReference<>();
    Thread reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    while (!stop.get()) {
                      long active = (Long) server.getAttribute(on, "ActiveObjects");
                      long total = (Long) server.getAttribute(on, "TotalObjects");
                      if (active < 0) { // an unsynchronised snapshot may be stale, never negative
                        throw new AssertionError("ActiveObjects negative: " + active);
                      }
                      if (total < 0) {
                        throw new AssertionError("TotalObjects negative: " + total);
                      }
                      server.getAttribute(on, "SlabInfo");
                      server.invoke(on, "trim", null, null);
                    }
                  } catch (Throwable e) {
                    readFailure.compareAndSet(null, e);
                  }
                });
    runAll(
        users + 1,
        id -> {
          if (id == users) {
            for (int i = 0; i < 200; i++) {
              if (!c.registerMBean().equals(on)) {
                throw new AssertionError("a second bean name");
              }
            }
            return;
          }
          List<Long> mine = new ArrayList<>();
          for (int i = 0; i < 20_000; i++) {
            if (mine.size() < maxHeld && (mine.isEmpty() || (i & 1) == 0)) {
              mine.add(c.allocate());
            } else {
              c.free(mine.remove(mine.size() - 1));
            }
          }
          for (long h : mine) {
            c.free(h);
          }
        });
    stop.set(true);
    reader.join(30_000);
    assertTrue(!reader.isAlive(), "watchdog: reader did not stop");
    if (readFailure.get() != null) {
      throw new AssertionError(readFailure.get());
    }
    assertEquals(1, server.queryNames(on, null).size());
    assertEquals(0L, server.getAttribute(on, "ActiveObjects"));
    c.close();
    assertTrue(!server.isRegistered(on), "close() unregisters the bean");
  }
}
