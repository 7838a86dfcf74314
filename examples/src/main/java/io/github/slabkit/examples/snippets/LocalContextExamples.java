package io.github.slabkit.examples.snippets;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolLocal;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabLocal;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/** Thread-bound allocation contexts ({@code SlabCache.local()}, {@code Mempool.local()}), as the docs quote. */
public final class LocalContextExamples {
  private LocalContextExamples() {}

  private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

  /**
   * An event loop's thread takes a slab context once and allocates through it.
   *
   * @return the sum of the values written and read back (0 + 1 + ... + 999)
   */
  public static long eventLoop() {
    try (SlabCache cache = SlabCache.builder("events").objectSize(64).build()) {
      // @start region="event-loop"
      long sum = 0;
      try (SlabLocal local = cache.local()) { // owned by this thread: no per-call thread lookup
        for (long i = 0; i < 1_000; i++) {
          long h = local.allocate();
          LONG.set(cache.memory(h), cache.offset(h), i);
          sum += (long) LONG.get(cache.memory(h), cache.offset(h));
          local.free(h); // any thread may free h through the cache; this one through its context
        }
      } // close() returns this thread's magazines to the slabs
      // @end
      return sum;
    }
  }

  /**
   * A pool's context: allocations go through the backing cache's context and never fail.
   *
   * @return the pool's allocations counted meanwhile (10)
   */
  public static long mempool() {
    try (SlabCache cache = SlabCache.builder("requests").objectSize(64).build();
        Mempool pool = Mempool.builder("requests", cache).minNr(4).build()) {
      // @start region="mempool"
      try (MempoolLocal local = pool.local()) {
        for (int i = 0; i < 10; i++) {
          local.free(local.allocate()); // allocate() never fails: the reserve backs it
        }
      }
      // @end
      return pool.mempoolStatistics().allocations();
    }
  }

  /**
   * A context is its thread's: another thread's call is refused.
   *
   * @return the message of the refusal
   * @throws InterruptedException if interrupted while joining
   */
  public static String wrongThread() throws InterruptedException {
    try (SlabCache cache = SlabCache.builder("owned").objectSize(64).build();
        SlabLocal local = cache.local()) {
      String[] message = {""};
      // @start region="wrong-thread"
      Thread other =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      local.allocate(); // not the owner
                    } catch (IllegalStateException e) {
                      message[0] = String.valueOf(e.getMessage()); // "...: allocate() on the SlabLocal of thread ..."
                    }
                  });
      other.join();
      // @end
      return message[0];
    }
  }
}
