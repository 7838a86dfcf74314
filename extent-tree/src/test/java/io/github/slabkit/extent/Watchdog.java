package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Makes a stall fail a test instead of hanging the build: runs a body on a daemon thread and, if it does
 * not finish in time, fails with what the tree and pool report and the stack of every thread that is
 * parked, so the report shows who waits on what.
 */
final class Watchdog {
  private Watchdog() {}

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}; fails with a dump if it takes longer than {@code limit}. */
  static void run(String what, Duration limit, Supplier<String> status, Body body) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = Thread.ofPlatform().name("watched-" + what).daemon().start(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.join(limit.toMillis());
    if (t.isAlive()) {
      fail(what + " stalled for " + limit + ": " + status(status) + "\n" + dump());
    }
    Throwable f = failure.get();
    if (f instanceof Exception e) {
      throw e;
    }
    if (f instanceof Error e) {
      throw e;
    }
  }

  /** Waits until {@code condition} holds; fails with a dump after {@code limit}. */
  static void await(String what, Duration limit, Supplier<String> status, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out waiting for " + what + ": " + status(status) + "\n" + dump());
      }
      TimeUnit.MILLISECONDS.sleep(1);
    }
  }

  /**
   * Evaluates a status report for a failure message, giving up after a second: the report usually needs the
   * tree lock, and a stalled thread may hold it (a thread that spins under it did), which would turn the
   * watchdog's failure into the very hang it is there to report.
   */
  static String status(Supplier<String> status) {
    AtomicReference<String> s = new AtomicReference<>();
    Thread t = Thread.ofPlatform().name("watchdog-status").daemon().start(() -> s.set(status.get()));
    try {
      t.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String r = s.get();
    return r != null ? r : "(no status within a second: a thread holds the tree lock, see its stack below)";
  }

  /**
   * The stacks of the threads in this library's code, innermost 12 frames each: those that wait (parked or
   * blocked) and those that run (a thread that spins under a lock is a stall too).
   */
  static String dump() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      Thread th = e.getKey();
      Thread.State s = th.getState();
      if (th == Thread.currentThread() || s == Thread.State.NEW || s == Thread.State.TERMINATED) {
        continue;
      }
      StackTraceElement[] st = e.getValue();
      boolean ours = false;
      for (StackTraceElement f : st) {
        ours |= f.getClassName().startsWith("io.github.slabkit");
      }
      if (!ours) {
        continue;
      }
      sb.append('"').append(th.getName()).append("\" ").append(s).append('\n');
      for (int i = 0; i < Math.min(12, st.length); i++) {
        sb.append("    at ").append(st[i]).append('\n');
      }
    }
    return sb.toString();
  }
}
