package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A tree closed while other threads still set, clear, query and lock ranges in it (outside close's
 * contract, which says it must not race, but what a careless user does): close either refuses (a range is
 * locked, someone waits) or closes, and the racing calls end with the closed exception; no hang, no crash,
 * no other exception type.
 */
class ExtentTreeCloseRaceTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void closingATreeUnderRacingCallsNeitherHangsNorCrashes(boolean bTree) throws Exception {
    for (int round = 0; round < 60; round++) {
      ExtentTreeBuilder b = ExtentTree.builder("race-" + bTree);
      ExtentTree tree = (bTree ? b.bTree() : b).build();
      CountDownLatch go = new CountDownLatch(1);
      AtomicReference<Throwable> odd = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long seed = round * 31L + i;
        int kind = i;
        threads.add(Thread.ofPlatform().start(() -> {
          SplittableRandom r = new SplittableRandom(seed);
          RangeResult out = new RangeResult();
          try {
            go.await();
            while (true) {
              long start = r.nextLong(1 << 20);
              long end = start + r.nextLong(1, 4096);
              switch (kind) {
                case 0 -> {
                  tree.set(start, end, ExtentBits.DIRTY);
                  tree.clear(start, end, ExtentBits.DIRTY);
                }
                case 1 -> {
                  tree.stateAt(start, out);
                  tree.findFirst(start, ExtentBits.DIRTY, out);
                  tree.countBytes(start, end, Long.MAX_VALUE, ExtentBits.DIRTY, false);
                }
                default -> {
                  if (tree.tryLock(start, end)) {
                    tree.unlock(start, end);
                  }
                }
              }
            }
          } catch (AllocatorClosedException expected) {
            // the documented answer once the close is seen
          } catch (Throwable t) {
            odd.compareAndSet(null, t);
          }
        }));
      }
      go.countDown();
      Thread.sleep(2);
      // Retry until the close is accepted, yielding between attempts: on one CPU a locker preempted while it
      // holds a range keeps it locked until it runs again, which a spinning closer would never let happen.
      boolean closed = false;
      for (long deadline = System.nanoTime() + 10_000_000_000L; !closed && System.nanoTime() < deadline; ) {
        try {
          tree.close();
          closed = true;
        } catch (IllegalStateException lockedOrWaiting) {
          Thread.yield(); // refused: a range was locked or someone waited at that moment
        }
      }
      assertTrue(closed, "round " + round + ": close refused for 10 s");
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
