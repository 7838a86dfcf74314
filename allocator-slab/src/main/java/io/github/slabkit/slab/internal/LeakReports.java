package io.github.slabkit.slab.internal;

import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.slab.SlabCacheBuilder;
import io.github.slabkit.slab.SlabDebug;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The text of a slab cache's leak reports: at {@code close()} ({@link #atClose}), on request ({@link
 * #liveNow}) and when a sampled object outlives the cache's leak age ({@link #reportAged}). The live objects
 * come from the debugger's tracking when debugging is on (every site, grouped), otherwise from the {@link
 * LeakSampler} (one allocation in its interval). Every report starts {@code BUG <name>:} or {@code LEAK?
 * <name>:} and says what to do, so a log reader who sees only that line knows the next step.
 */
public final class LeakReports {
  private static final System.Logger LOG = System.getLogger("io.github.slabkit.slab.SlabCache");

  private final String name;
  private final long stride;
  private final LeakSampler sampler;
  private final @Nullable SlabDebugger debugger;

  /**
   * @param name the cache's name
   * @param stride the bytes each object occupies, for the leaked bytes
   * @param sampler the cache's leak sampler (possibly off)
   * @param debugger the cache's debugger, or null when debugging is off
   */
  public LeakReports(String name, long stride, LeakSampler sampler, @Nullable SlabDebugger debugger) {
    this.name = name;
    this.stride = stride;
    this.sampler = sampler;
    this.debugger = debugger;
  }

  /**
   * The report of objects still allocated at {@code close()}: how many, their bytes, that their slabs are
   * kept, and their allocation sites (tracked or sampled) or how to get them.
   *
   * @param leaked the objects still allocated, at least 1
   * @return the report
   */
  public String atClose(long leaked) {
    return "BUG "
        + name
        + ": "
        + leaked
        + " objects ("
        + Allocators.bytes(leaked * stride)
        + ") still allocated at close(); their slabs are kept, not freed. Free every object before"
        + " close()"
        + (debugger != null
            ? "; live objects by allocation site:\n" + debugger.leakSites()
            : sampledSites(", or enable tracking (SlabDebug flag U, -D" + SlabDebug.PROPERTY
                + "=U) to see where each was allocated"));
  }

  /**
   * The report of {@code SlabCache.leakReport()} for objects live now.
   *
   * @param live the objects live now, at least 1
   * @return the report, ending with a line break
   */
  public String liveNow(long live) {
    return "BUG "
        + name
        + ": "
        + live
        + " objects ("
        + Allocators.bytes(live * stride)
        + ") still allocated\n"
        + (debugger != null
            ? debugger.leakSites()
            : sampledSites("; enable tracking (SlabDebug flag U or -D" + SlabDebug.PROPERTY
                + "=U) to see every allocation site").substring(2) + "\n");
  }

  /**
   * The sampler's part of a report: the sampled live objects with their sites, or why there are none.
   *
   * @param advice what to say when no live object was sampled
   */
  private String sampledSites(String advice) {
    if (!sampler.enabled()) {
      return advice + " (or sampled: SlabCacheBuilder.leakSampling, -D"
          + SlabCacheBuilder.LEAK_SAMPLING_PROPERTY + ")";
    }
    List<LeakSampler.Site> live = sampler.live();
    if (live.isEmpty()) {
      return "; none of them was sampled (1 allocation in " + sampler.interval() + " is)" + advice;
    }
    long now = System.nanoTime();
    StringBuilder sb = new StringBuilder("; sampled live objects (1 allocation in ")
        .append(sampler.interval()).append(" is sampled), oldest first:\n");
    for (LeakSampler.Site site : live) {
      sb.append(describe(site, now));
    }
    return sb.toString();
  }

  /**
   * The leak detector's age check (run on the shared timer thread): reports each sampled object older than
   * the leak age once, through {@link System.Logger} at {@code WARNING} and a JFR event.
   */
  public void reportAged() {
    long now = System.nanoTime();
    for (LeakSampler.Site site : sampler.takeAged(now)) {
      SlabEvents.leakSuspect(name, site, now, "age");
      LOG.log(
          System.Logger.Level.WARNING,
          "LEAK? " + name + ": an object is still allocated " + age(now - site.allocatedNanos())
              + " after its allocation (the cache's leakAge is " + age(sampler.ageNanos())
              + "; 1 allocation in " + sampler.interval() + " is sampled). Free it when done, or raise"
              + " leakAge above its legitimate lifetime.\n" + describe(site, now));
    }
  }

  private static String describe(LeakSampler.Site site, long now) {
    return "  object 0x" + Long.toHexString(site.handle()) + ", allocated "
        + age(now - site.allocatedNanos()) + " ago on thread '" + site.thread() + "':\n"
        + site.framesText();
  }

  /** A duration for a message: {@code 850 ms}, {@code 12.3 s}, {@code 4.0 min}. */
  static String age(long nanos) {
    if (nanos < 1_000_000_000L) {
      return nanos / 1_000_000 + " ms";
    }
    double s = nanos / 1e9;
    return s < 120 ? String.format(Locale.ROOT, "%.1f s", s) : String.format(Locale.ROOT, "%.1f min", s / 60);
  }
}
