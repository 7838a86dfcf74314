package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waiting for tests: polls a condition, fails after a generous deadline (never hangs the build). */
final class Waiting {
  static final long DEADLINE_MS = 20_000;

  private Waiting() {}

  static void until(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        fail("timed out waiting until " + what);
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting until " + what);
      }
    }
  }

  static void join(Thread t) throws InterruptedException {
    t.join(DEADLINE_MS);
    if (t.isAlive()) {
      fail("thread " + t.getName() + " did not finish in " + DEADLINE_MS + " ms");
    }
  }
}
