package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A seeded model test: several threads allocate random sizes (classes and large), reallocate, bulk-allocate
 * and free, and hand objects to each other to free. Every object is filled with a tag byte over its
 * requested size and checked before it is resized or freed and at the end: an object that aliases another
 * shows the other's tag. The model (per thread, summed at the end) must match the allocator's exact request
 * statistics, and every count must return to zero.
 */
class KmallocModelTest {
  private static final int THREADS = 4;
  private static final int STEPS = 20_000;
  private static final long[] LARGE = {9000, 20_000, 70_000};

  /** What one thread did, for the accounting at the end. */
  static final class Model {
    final long[] requestedPerClass;
    final long[] allocationsPerClass;
    long large;

    Model(int classes) {
      requestedPerClass = new long[classes];
      allocationsPerClass = new long[classes];
    }
  }

  /** A live object: handle, requested size, tag. */
  record Obj(long handle, long size, byte tag) {}

  @Test
  void randomSizesReallocationsBulkAndCrossThreadFreesKeepEveryObjectIntact() throws Exception {
    try (Kmalloc k = Kmalloc.builder().budget(MemoryBudget.unlimited("model")).requestSampling(1).throwOnLeak(true).build()) {
      long[] classes = k.classSizes();
      BlockingQueue<Obj> handoff = new ArrayBlockingQueue<>(256);
      ConcurrentHashMap<Long, Boolean> live = new ConcurrentHashMap<>();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Model[] models = new Model[THREADS];
      Thread[] threads = new Thread[THREADS];
      for (int t = 0; t < THREADS; t++) {
        Model m = models[t] = new Model(classes.length);
        long seed = 0x14_0000L + t;
        threads[t] =
            Thread.ofPlatform()
                .name("model-" + t)
                .start(
                    () -> {
                      try {
                        run(k, classes, new SplittableRandom(seed), m, handoff, live);
                      } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                      }
                    });
      }
      for (Thread t : threads) {
        t.join(120_000);
        assertTrue(!t.isAlive(), t.getName() + " did not finish (watchdog)");
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      for (Obj o; (o = handoff.poll()) != null; ) {
        check(k, o);
        free(k, live, o);
      }
      KmallocStatistics s = k.statistics();
      for (int c = 0; c < classes.length; c++) {
        long req = 0;
        long n = 0;
        for (Model m : models) {
          req += m.requestedPerClass[c];
          n += m.allocationsPerClass[c];
        }
        SizeClassStatistics cs = s.classes().get(c);
        assertEquals(n, cs.sampledAllocations(), cs.name() + " allocations");
        assertEquals(req, cs.sampledRequestedBytes(), cs.name() + " requested bytes");
        assertEquals(n, cs.slab().allocations(), cs.name() + " slab allocations");
        assertEquals(n, cs.slab().frees(), cs.name() + " frees");
        assertEquals(0, cs.liveObjects(), cs.name() + " live");
      }
      long large = Arrays.stream(models).mapToLong(m -> m.large).sum();
      assertEquals(large, s.largeAllocations());
      assertEquals(large, s.largeFrees());
      assertEquals(0, s.largeLive());
      assertEquals(0, s.largeBytes());
      assertEquals(s.bytesCharged(), k.budget().used(), "the budget holds exactly the caches' slabs");
      assertTrue(live.isEmpty());
    }
  }

  private static void run(
      Kmalloc k,
      long[] classes,
      SplittableRandom rnd,
      Model m,
      BlockingQueue<Obj> handoff,
      ConcurrentHashMap<Long, Boolean> live)
      throws InterruptedException {
    List<Obj> mine = new ArrayList<>();
    for (int step = 0; step < STEPS; step++) {
      int op = rnd.nextInt(100);
      if (mine.isEmpty() || op < 40) {
        long size = randomSize(rnd);
        long h = rnd.nextBoolean() ? k.allocate(size) : k.tryAllocate(size, 1, TimeUnit.SECONDS);
        mine.add(fresh(k, classes, m, live, h, size, rnd));
      } else if (op < 45) {
        int n = 1 + rnd.nextInt(16);
        long size = 1 + rnd.nextInt(2048);
        long[] dst = new long[n];
        if (rnd.nextBoolean()) {
          k.allocateBulk(dst, n, size);
        } else {
          assertTrue(k.tryAllocateBulk(dst, n, size), "unlimited budget: bulk must succeed");
        }
        for (long h : dst) {
          mine.add(fresh(k, classes, m, live, h, size, rnd));
        }
      } else if (op < 55) {
        int i = rnd.nextInt(mine.size());
        Obj o = mine.get(i);
        check(k, o);
        long newSize = randomSize(rnd);
        long usable = k.usableSize(o.handle());
        long h = k.reallocate(o.handle(), newSize);
        if (h == o.handle()) {
          assertTrue(newSize <= usable, "stayed in place though it does not fit");
          // The bytes past the old request are the object's own: widen the tag over the new size.
          mine.set(i, fill(k, h, newSize, o.tag()));
        } else {
          assertTrue(newSize > usable, "moved though it fits");
          live.remove(o.handle());
          MemorySegment s = k.segment(h);
          long kept = Math.min(o.size(), newSize);
          for (long b = 0; b < kept; b += 13) {
            assertEquals(o.tag(), s.get(ValueLayout.JAVA_BYTE, b), "reallocate lost byte " + b);
          }
          mine.set(i, fresh(k, classes, m, live, h, newSize, rnd));
        }
      } else if (op < 65) {
        Obj o = mine.remove(rnd.nextInt(mine.size()));
        check(k, o);
        if (!handoff.offer(o)) {
          free(k, live, o);
        }
      } else if (op < 80) {
        Obj o = handoff.poll();
        if (o != null) {
          check(k, o);
          free(k, live, o);
        }
      } else {
        Obj o = mine.remove(rnd.nextInt(mine.size()));
        check(k, o);
        free(k, live, o);
      }
      if (mine.size() > 300) {
        Obj o = mine.remove(0);
        check(k, o);
        free(k, live, o);
      }
    }
    for (Obj o : mine) {
      check(k, o);
      free(k, live, o);
    }
  }

  private static long randomSize(SplittableRandom rnd) {
    return rnd.nextInt(100) == 0 ? LARGE[rnd.nextInt(LARGE.length)] : 1 + rnd.nextInt(8192);
  }

  private static Obj fresh(
      Kmalloc k, long[] classes, Model m, ConcurrentHashMap<Long, Boolean> live, long h, long size,
      SplittableRandom rnd) {
    assertTrue(h != 0, "allocation failed with an unlimited budget");
    assertTrue(live.putIfAbsent(h, Boolean.TRUE) == null, "handle 0x" + Long.toHexString(h) + " is live twice");
    long usable = k.usableSize(h);
    assertTrue(usable >= size, "usable " + usable + " < requested " + size);
    int c = Arrays.binarySearch(classes, usable);
    if (size <= classes[classes.length - 1]) {
      assertTrue(c >= 0, "a class request got " + usable + " B");
      m.allocationsPerClass[c]++;
      m.requestedPerClass[c] += size;
    } else {
      m.large++;
    }
    return fill(k, h, size, (byte) (1 + rnd.nextInt(255)));
  }

  private static Obj fill(Kmalloc k, long h, long size, byte tag) {
    k.memory(h).asSlice(k.offset(h), size).fill(tag);
    return new Obj(h, size, tag);
  }

  private static void check(Kmalloc k, Obj o) {
    MemorySegment s = k.memory(o.handle()).asSlice(k.offset(o.handle()), o.size());
    byte[] expected = new byte[(int) o.size()];
    Arrays.fill(expected, o.tag());
    long at = s.mismatch(MemorySegment.ofArray(expected));
    assertEquals(-1, at, "object 0x" + Long.toHexString(o.handle()) + " overwritten at byte " + at);
  }

  private static void free(Kmalloc k, ConcurrentHashMap<Long, Boolean> live, Obj o) {
    live.remove(o.handle());
    k.free(o.handle());
  }
}
