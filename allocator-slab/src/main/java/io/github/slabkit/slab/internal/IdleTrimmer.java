package io.github.slabkit.slab.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The optional idle-time trimming policy: one daemon thread for all caches checks each registered cache
 * once per period and trims it when no allocation or free happened during the whole period.
 */
public final class IdleTrimmer {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("slabkit-idle-trimmer").unstarted(r));

  private IdleTrimmer() {}

  /**
   * Runs a periodic check of a cache on the shared daemon thread (the leak detector's age check).
   *
   * @param task the check; must not block
   * @param periodNanos the period
   * @return the task; cancel it on close
   */
  public static ScheduledFuture<?> every(Runnable task, long periodNanos) {
    return TIMER.scheduleWithFixedDelay(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Schedules the policy.
   *
   * @param activity a counter that changes whenever the cache is used
   * @param trim what to run when idle
   * @param periodNanos the idle period
   * @return the task; cancel it on close
   */
  public static ScheduledFuture<?> schedule(LongSupplier activity, Runnable trim, long periodNanos) {
    long[] last = {Long.MIN_VALUE};
    return TIMER.scheduleWithFixedDelay(
        () -> {
          long now = activity.getAsLong();
          if (now == last[0]) {
            trim.run();
          }
          last[0] = now;
        },
        periodNanos,
        periodNanos,
        TimeUnit.NANOSECONDS);
  }
}
