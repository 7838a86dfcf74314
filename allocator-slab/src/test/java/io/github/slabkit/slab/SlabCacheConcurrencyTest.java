package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Multi-threaded stress with conservation checks: objects allocated on one thread and freed on another,
 * platform and virtual threads, bulk and single paths. Every handle is live at most once, every object keeps
 * the value its owner wrote, and at the end every object is back (no leak at close).
 */
class SlabCacheConcurrencyTest {

  @ParameterizedTest
  @ValueSource(ints = {2, 4, 8})
  void crossThreadFreesConserveObjects(int threads) throws Exception {
    try (SlabCache cache =
        SlabCache.builder("stress-" + threads)
            .objectSize(32)
            .objectsPerSlab(64)
            .magazineSize(16)
            .throwOnLeak(true)
            .build()) {
      Set<Long> live = ConcurrentHashMap.newKeySet();
      List<BlockingQueue<Long>> inboxes = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        inboxes.add(new ArrayBlockingQueue<>(1024));
      }
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      int perThread = 30_000;
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        workers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      SplittableRandom rnd = new SplittableRandom(me);
                      try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                          long h = rnd.nextBoolean() ? cache.allocate() : cache.tryAllocate();
                          if (h == 0) {
                            h = cache.allocate();
                          }
                          if (!live.add(h)) {
                            throw new AssertionError("handle live twice: " + h);
                          }
                          cache.memory(h).set(ValueLayout.JAVA_LONG, cache.offset(h), h ^ 0x5a5a);
                          // hand it to another thread, which checks and frees it
                          BlockingQueue<Long> to = inboxes.get(rnd.nextInt(threads));
                          if (!to.offer(h)) {
                            freeChecked(cache, live, h);
                          }
                          Long mine;
                          while ((mine = inboxes.get(me).poll()) != null) {
                            freeChecked(cache, live, mine);
                          }
                        }
                      } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                      }
                    }));
      }
      start.countDown();
      for (Thread w : workers) {
        w.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(w.isAlive(), "worker did not finish in 60 s");
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      for (BlockingQueue<Long> q : inboxes) {
        Long h;
        while ((h = q.poll()) != null) {
          freeChecked(cache, live, h);
        }
      }
      assertEquals(0, live.size());
      SlabStatistics s = cache.slabStatistics();
      assertEquals(0, s.activeObjects(), "objects unaccounted for after every one was freed");
      assertEquals((long) threads * perThread, s.allocations());
      assertEquals(s.allocations(), s.frees());
      assertEquals(0, s.doubleFrees());
    }
  }

  @Test
  @SuppressWarnings("ThreadPriorityCheck") // yield interleaves virtual threads on the stripes on purpose
  void manyVirtualThreadsShareStripesAndConserveObjects() throws Exception {
    try (SlabCache cache =
            SlabCache.builder("virtual").objectSize(16).objectsPerSlab(256).throwOnLeak(true).build();
        ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
      Set<Long> live = ConcurrentHashMap.newKeySet();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 10_000; t++) {
        futures.add(
            exec.submit(
                () -> {
                  long[] mine = new long[8];
                  for (int i = 0; i < mine.length; i++) {
                    mine[i] = cache.allocate();
                    if (!live.add(mine[i])) {
                      throw new AssertionError("handle live twice");
                    }
                    cache.memory(mine[i]).set(ValueLayout.JAVA_LONG, cache.offset(mine[i]), mine[i]);
                    Thread.yield();
                  }
                  for (long h : mine) {
                    freeChecked(cache, live, h);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertEquals(0, live.size());
      SlabStatistics s = cache.slabStatistics();
      assertEquals(0, s.activeObjects());
      assertEquals(80_000, s.allocations());
      assertEquals(0, s.threadCaches(), "virtual threads must not register per-thread caches");
    }
  }

  @Test
  void aMillionVirtualThreadsLeaveNoPerThreadState() throws Exception {
    try (SlabCache cache = SlabCache.builder("million").objectSize(16).throwOnLeak(true).build();
        ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
      java.util.concurrent.atomic.LongAdder done = new java.util.concurrent.atomic.LongAdder();
      for (int t = 0; t < 1_000_000; t++) {
        exec.execute(
            () -> {
              long h = cache.allocate();
              cache.memory(h).set(ValueLayout.JAVA_LONG, cache.offset(h), h);
              cache.free(h);
              done.increment();
            });
      }
      exec.shutdown();
      assertTrue(exec.awaitTermination(120, TimeUnit.SECONDS), "a million virtual threads did not finish");
      assertEquals(1_000_000, done.sum());
      SlabStatistics s = cache.slabStatistics();
      assertEquals(0, s.activeObjects());
      assertEquals(0, s.threadCaches(), "no per-thread state may be kept for virtual threads");
      assertTrue(s.totalSlabs() <= 4, "striped magazines bound the memory held: " + s.totalSlabs() + " slabs");
    }
  }

  @Test
  void producerConsumerAcrossThreadsKeepsObjectBytes() throws Exception {
    try (SlabCache cache = SlabCache.builder("pc").objectSize(64).throwOnLeak(true).build()) {
      BlockingQueue<Long> q = new ArrayBlockingQueue<>(256);
      int n = 200_000;
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread consumer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < n; i++) {
                        long h = q.take();
                        long v = cache.memory(h).get(ValueLayout.JAVA_LONG, cache.offset(h) + 56);
                        if (v != i) {
                          throw new AssertionError("object " + i + " read " + v);
                        }
                        cache.free(h);
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  });
      for (int i = 0; i < n; i++) {
        long h = cache.allocate();
        cache.memory(h).set(ValueLayout.JAVA_LONG, cache.offset(h) + 56, i);
        q.put(h);
      }
      consumer.join(60_000);
      assertFalse(consumer.isAlive());
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(0, cache.slabStatistics().activeObjects());
      assertEquals(n, cache.slabStatistics().allocations());
    }
  }

  @Test
  void deadThreadsMagazinesAreReclaimedByShrink() throws Exception {
    try (SlabCache cache = SlabCache.builder("dead").objectSize(32).objectsPerSlab(32).build()) {
      long[] hs = new long[100];
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    cache.allocateBulk(hs, hs.length);
                    cache.freeBulk(hs, hs.length); // into this thread's magazines
                  });
      t.join();
      assertEquals(0, cache.slabStatistics().activeObjects());
      cache.shrink();
      SlabStatistics s = cache.slabStatistics();
      assertEquals(0, s.cachedObjects(), "a dead thread's magazines must be drained by shrink()");
      assertEquals(0, s.totalSlabs());
      assertEquals(100, s.frees(), "a dead thread's counters must survive it");
    }
  }

  private static void freeChecked(SlabCache cache, Set<Long> live, long h) {
    long v = cache.memory(h).get(ValueLayout.JAVA_LONG, cache.offset(h));
    if (v != (h ^ 0x5a5a) && v != h) {
      throw new AssertionError("object 0x" + Long.toHexString(h) + " changed while live: " + v);
    }
    if (!live.remove(h)) {
      throw new AssertionError("freeing a handle that is not live: " + h);
    }
    cache.free(h);
  }
}
