package io.github.slabkit.slab;

/**
 * A test helper that fails a test when a cache it used leaked objects, in the spirit of Netty's leak
 * detector but exact: it compares allocations and frees.
 *
 * {@snippet :
 * @AfterEach
 * void noLeaks() {
 *   LeakCheck.assertNoLeaks(cache); // AssertionError listing live objects and, with tracking, their sites
 * }
 * }
 *
 * <p>Call it when no other thread uses the caches (at the end of a test).
 */
public final class LeakCheck {
  private LeakCheck() {}

  /**
   * Throws {@link AssertionError} if any of the caches has live objects.
   *
   * @param caches the caches the test used
   */
  public static void assertNoLeaks(SlabCache... caches) {
    StringBuilder sb = new StringBuilder();
    for (SlabCache c : caches) {
      String report = c.leakReport();
      if (!report.isEmpty()) {
        sb.append(report);
      }
    }
    if (sb.length() > 0) {
      throw new AssertionError(sb.toString());
    }
  }
}
