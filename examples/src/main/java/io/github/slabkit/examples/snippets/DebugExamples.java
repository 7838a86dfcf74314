package io.github.slabkit.examples.snippets;

import io.github.slabkit.slab.LeakCheck;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCorruptionException;
import io.github.slabkit.slab.SlabDebug;
import java.lang.foreign.ValueLayout;

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
}
