package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.slab.SlabCache;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A pool closed, then its backing cache, while other threads still allocate and free through it (outside
 * both contracts, which say close must not race, but what a careless user does): no hang, no crash, only
 * the exception types the close javadocs name.
 */
class MempoolCloseRaceTest {
  @Test
  void closingAPoolAndItsCacheUnderRacingCallsNeitherHangsNorCrashes() throws Exception {
    for (int round = 0; round < 40; round++) {
      SlabCache c = SlabCache.builder("race-cache").objectSize(64).objectsPerSlab(16).magazineSize(4).build();
      Mempool p = Mempool.builder("race-pool", c).minNr(8).waitTimeout(java.time.Duration.ofMillis(50)).build();
      CountDownLatch go = new CountDownLatch(1);
      AtomicReference<Throwable> odd = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int kind = i;
        Runnable r = () -> {
          try {
            go.await();
            long[] held = new long[6];
            MempoolLocal local = kind == 3 ? p.local() : null;
            while (true) {
              for (int k = 0; k < held.length; k++) {
                held[k] =
                    local != null
                        ? local.allocate()
                        : kind == 1 ? p.tryAllocate(1, TimeUnit.SECONDS) : p.allocate();
                if (held[k] != 0) {
                  c.memory(held[k]).set(ValueLayout.JAVA_LONG, c.offset(held[k]), k);
                }
              }
              for (long h : held) {
                if (h != 0) {
                  if (local != null) {
                    local.free(h);
                  } else {
                    p.free(h);
                  }
                }
              }
            }
          } catch (AllocatorClosedException expected) {
            // the documented answer once the close is seen
          } catch (IllegalStateException expected) {
            // a released slab's memory (FFM), or the pool's own state refusals
          } catch (InvalidHandleException expected) {
            // memory(h) of an object whose slab the cache's close released
          } catch (Throwable t) {
            odd.compareAndSet(null, t);
          }
        };
        threads.add(kind == 2 ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r));
      }
      go.countDown();
      Thread.sleep(2);
      for (int attempt = 0; ; attempt++) {
        try {
          p.close();
          break;
        } catch (IllegalStateException waitersOrLeak) {
          if (!String.valueOf(waitersOrLeak.getMessage()).contains("the pool stays open") || attempt > 1000) {
            break; // closed with a leak report (or give up retrying: the workers end below anyway)
          }
          Thread.sleep(1); // refused: someone waits for the pool
        }
      }
      try {
        c.close();
      } catch (IllegalStateException leak) {
        // objects the workers held at close are a leak report, as documented
      }
      for (Thread t : threads) {
        t.join(10_000);
        assertFalse(t.isAlive(), "round " + round + ": a worker hangs after close");
      }
      if (odd.get() != null) {
        throw new AssertionError("round " + round + ": undocumented exception", odd.get());
      }
    }
  }
}
