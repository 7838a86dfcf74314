package io.github.slabkit.examples;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabInfo;
import io.github.slabkit.slab.SlabStatistics;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The runnable demo: several threads allocate off-heap objects from a slab cache under a memory budget,
 * hand them to other threads that check and free them, and the demo prints the slabinfo table at the end.
 */
public final class Demo {
  private static final MemoryLayout NODE =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_LONG.withName("start"),
          ValueLayout.JAVA_LONG.withName("end"),
          ValueLayout.JAVA_INT.withName("bits"),
          MemoryLayout.paddingLayout(4));
  private static final VarHandle START =
      NODE.varHandle(MemoryLayout.PathElement.groupElement("start"));

  private Demo() {}

  /**
   * Runs the demo.
   *
   * @param args {@code --help}, {@code --threads N}, {@code --objects N}
   * @throws InterruptedException if interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    int threads = 4;
    int objects = 2_000_000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          System.out.println(
              """
              Slabkit demo: producer/consumer threads over an off-heap slab cache under a memory budget.
              Options:
                --threads N   producer/consumer pairs (default 4)
                --objects N   objects each producer allocates (default 2000000)
                --help        this text""");
          return;
        }
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--objects" -> objects = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + " (try --help)");
          System.exit(2);
        }
      }
    }
    MemoryBudget budget = MemoryBudget.ofBytes("demo", 64L << 20);
    try (SlabCache states = SlabCache.builder("extent_state").layout(NODE).budget(budget).build()) {
      long t0 = System.nanoTime();
      Thread[] workers = new Thread[2 * threads];
      int perThread = objects;
      for (int t = 0; t < threads; t++) {
        BlockingQueue<Long> q = new ArrayBlockingQueue<>(1024);
        workers[2 * t] =
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        for (int i = 0; i < perThread; i++) {
                          long h = states.allocate();
                          START.set(states.memory(h), states.offset(h), (long) i);
                          q.put(h);
                        }
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
        workers[2 * t + 1] =
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        for (int i = 0; i < perThread; i++) {
                          long h = q.take();
                          if ((long) START.get(states.memory(h), states.offset(h)) != i) {
                            throw new IllegalStateException("object contents lost");
                          }
                          states.free(h);
                        }
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
      }
      for (Thread w : workers) {
        w.join();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      SlabStatistics s = states.slabStatistics();
      System.out.printf(
          Locale.ROOT,
          "%d objects allocated on one thread and freed on another in %.2f s (%.1f M pairs/s)%n",
          s.allocations(),
          secs,
          s.allocations() / secs / 1e6);
      System.out.print(SlabInfo.render(List.of(states)));
      if (s.activeObjects() != 0) {
        System.err.println("objects not returned: " + s.activeObjects());
        System.exit(1);
      }
      System.out.println("every object was returned; budget in use: " + budget.used() + " B");
    }
  }
}
