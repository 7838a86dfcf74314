package io.github.slabkit.examples;

import java.io.PrintStream;

/** Collects the demo's end-of-run checks and prints each as {@code ok} or {@code FAILED}. */
final class Checks {
  private static final int MAX_DETAIL = 400;

  private final PrintStream out;
  private int failed;
  private int passed;

  Checks(PrintStream out) {
    this.out = out;
  }

  void check(String what, boolean ok, String detailIfNot) {
    if (ok) {
      passed++;
      out.println("  ok      " + what);
    } else {
      failed++;
      String d = detailIfNot.length() > MAX_DETAIL ? detailIfNot.substring(0, MAX_DETAIL) + "..." : detailIfNot;
      out.println("  FAILED  " + what + ": " + d);
    }
  }

  /** Closes a pool or cache; a failure (objects still live, waiters) becomes a failed check, not a crash. */
  void close(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      check("closing " + resource, false, String.valueOf(e.getMessage()));
    }
  }

  void note(String what) {
    out.println("  note    " + what);
  }

  boolean report(String scenario) {
    out.println(
        scenario + ": " + (failed == 0 ? "all " + passed + " checks passed" : failed + " of " + (passed + failed)
            + " checks FAILED"));
    return failed == 0;
  }
}
