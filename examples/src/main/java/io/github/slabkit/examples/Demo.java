package io.github.slabkit.examples;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.slab.SlabDebug;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * The runnable demo, the README's main job: {@code java -jar slabkit-demo.jar [writeback|abba|all]
 * [options]}; {@code --help} lists the options. See {@link WritebackSimulation} and {@link AbbaScenario}.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the demo and exits with its status: 0 when every check passed, 1 when one failed, 2 on a bad command
   * line.
   *
   * @param args the scenario and options; {@code --help} lists them
   * @throws InterruptedException if interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    int status = run(System.out, System.in, args);
    System.out.flush();
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the demo without exiting and without input (a {@code --hold} then ends only when its time is up).
   *
   * @param out where to print
   * @param args the scenario and options
   * @return the exit status: 0 when every check passed, 1 when one failed, 2 on a bad command line
   * @throws InterruptedException if interrupted
   */
  public static int run(PrintStream out, String... args) throws InterruptedException {
    return run(out, new ByteArrayInputStream(new byte[0]), args);
  }

  /**
   * Runs the demo without exiting: what {@link #main} does, for tests.
   *
   * @param out where to print
   * @param in where {@code --hold} reads the Enter that ends it
   * @param args the scenario and options
   * @return the exit status: 0 when every check passed, 1 when one failed, 2 on a bad command line
   * @throws InterruptedException if interrupted
   */
  public static int run(PrintStream out, InputStream in, String... args) throws InterruptedException {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (IllegalArgumentException e) {
      out.println("slabkit-demo: " + e.getMessage());
      return 2;
    }
    if (options.help()) {
      out.print(DemoOptions.HELP);
      return 0;
    }
    printDebugHeader(out, options);
    Hold hold = new Hold(options.hold(), in, out);
    boolean all = options.scenario().equals("all");
    String writeback = "";
    String abba = "";
    try {
      if (options.scenario().equals("writeback") || all) {
        writeback = new WritebackSimulation(options, out, hold).run() ? "passed" : "FAILED";
      }
      if (options.scenario().equals("abba") || all) {
        if (all) {
          out.println();
          options = DemoOptions.parse(withAbbaThreads(args));
        }
        abba = new AbbaScenario(options, out, hold).run() ? "passed" : "FAILED";
      }
    } catch (AllocationFailedException | IllegalArgumentException e) {
      // e.g. a --budget too small for the reserves: the message says what to change
      out.println("slabkit-demo: cannot set up the scenario with these options: " + e.getMessage());
      return 2;
    }
    boolean ok = !writeback.equals("FAILED") && !abba.equals("FAILED");
    if (all) {
      out.println();
      out.println(
          "all: writeback " + writeback + ", abba " + abba + ": "
              + (ok ? "every check passed" : "SOME CHECKS FAILED (see above)"));
    }
    return ok ? 0 : 1;
  }

  /** With debugging on, say so first: the numbers that follow are not the fast path's. */
  private static void printDebugHeader(PrintStream out, DemoOptions options) {
    SlabDebug debug = options.slabDebug();
    String fromProperty = System.getProperty(SlabDebug.PROPERTY);
    String flags;
    if (debug != null && debug.enabled()) {
      flags = debug + " (--slab-debug)";
    } else if (debug == null && fromProperty != null && !fromProperty.isBlank()) {
      flags = fromProperty + " (-D" + SlabDebug.PROPERTY + ")";
    } else {
      return;
    }
    out.println("slab debugging is ON for the demo's caches: " + flags);
    out.println(
        "  F consistency checks, Z red zones, P poisoning, U allocation/free tracking. Cost: every allocation"
            + " and free bypasses the");
    out.println(
        "  per-thread magazines, takes the slab lock and checks the object: about 20-30x the fast path (U, which"
            + " records a stack");
    out.println(
        "  per operation: about 3000x; see BENCHMARKS.md). Expect far fewer ops/s than without debugging.");
    out.println();
  }

  /** For {@code all}: the abba part uses its own default thread count unless --threads was given. */
  private static String[] withAbbaThreads(String[] args) {
    for (String a : args) {
      if (a.equals("--threads")) {
        return args;
      }
    }
    String[] more = Arrays.copyOf(args, args.length + 2);
    more[args.length] = "--threads";
    more[args.length + 1] = String.valueOf(DemoOptions.DEFAULT_ABBA_THREADS);
    return more;
  }
}
