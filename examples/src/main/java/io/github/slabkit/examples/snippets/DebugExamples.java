package io.github.slabkit.examples.snippets;

import io.github.slabkit.slab.LeakCheck;
import io.github.slabkit.slab.SampledAllocation;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheBuilder;
import io.github.slabkit.slab.SlabCorruptionException;
import io.github.slabkit.slab.SlabDebug;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/** Debugging examples quoted by the documentation. */
public final class DebugExamples {
  private DebugExamples() {}

  /**
   * A buffer overrun caught by a red zone.
   *
   * @return the report: {@code BUG debugged: ...}
   */
  public static String redZone() {
    // @start region="debug"
    // F: consistency checks, Z: red zones, P: poisoning, U: allocation/free tracking (kernel slab_debug=FZPU).
    // Without a debug(...) call, -Dslabkit.slab_debug=FZPU (or =FZPU,cacheA,cacheB) turns them on.
    SlabDebug debug = SlabDebug.of("FZPU").throwOnReport(true); // tests want exceptions; default: log
    try (SlabCache cache = SlabCache.builder("debugged").objectSize(24).debug(debug).build()) {
      long h = cache.allocate();
      cache.memory(h).set(ValueLayout.JAVA_BYTE, cache.offset(h) + 24, (byte) 1); // one byte too far
      try {
        cache.free(h); // the red zone after the object is checked on free
      } catch (SlabCorruptionException e) {
        return String.valueOf(e.getMessage()); // "BUG debugged: ..." with the object and the bad bytes
      }
      // @end
      return "not detected";
    }
  }

  /**
   * A leak found by {@link LeakCheck}.
   *
   * @return the leak report
   */
  public static String leak() {
    try (SlabCache cache =
        SlabCache.builder("leaky").objectSize(24).debug(SlabDebug.of("U")).build()) {
      long h = cache.allocate();
      String report;
      // @start region="leak"
      try {
        LeakCheck.assertNoLeaks(cache); // in a test's @AfterEach
        report = "no leak";
      } catch (AssertionError e) {
        report = String.valueOf(e.getMessage()); // with U: live objects grouped by allocation site
      }
      // @end
      cache.free(h);
      return report;
    }
  }

  /**
   * The production leak detector: a sampled object kept past the cache's leak age, listed with its site.
   *
   * @return the first frame of the sampled allocation site of the object still held
   */
  public static String sampledLeak() {
    // @start region="leak-sampling"
    try (SlabCache sessions =
        SlabCache.builder("sessions")
            .objectSize(256)
            .leakSampling(SlabCacheBuilder.DEFAULT_LEAK_SAMPLING) // or -Dslabkit.leak_sampling=on
            .leakAge(Duration.ofMinutes(10)) // longer than any session lives: older is a leak
            .build()) {
      // ... the application allocates and frees sessions ...
      for (SampledAllocation s : sessions.sampledLiveObjects()) { // e.g. from an admin endpoint
        System.out.println(s.age() + " old, allocated on " + s.thread() + " at " + s.site().get(0));
      }
    } // close(): sampled objects still live are logged (BUG sessions: ...) with their sites, and sent to JFR
    // @end
    try (SlabCache cache = SlabCache.builder("sampled").objectSize(32).leakSampling(1).build()) {
      long h = cache.allocate();
      String first = cache.sampledLiveObjects().get(0).site().get(0).toString();
      cache.free(h);
      return first;
    }
  }
}
