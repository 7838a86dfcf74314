package io.github.slabkit.examples;

import io.github.slabkit.allocator.AllocationFailedException;
import java.io.PrintStream;

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
    int status = run(System.out, args);
    System.out.flush();
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the demo without exiting: what {@link #main} does, for tests.
   *
   * @param out where to print
   * @param args the scenario and options
   * @return the exit status: 0 when every check passed, 1 when one failed, 2 on a bad command line
   * @throws InterruptedException if interrupted
   */
  public static int run(PrintStream out, String... args) throws InterruptedException {
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
    boolean ok = true;
    try {
      if (options.scenario().equals("writeback") || options.scenario().equals("all")) {
        ok &= new WritebackSimulation(options, out).run();
      }
      if (options.scenario().equals("abba") || options.scenario().equals("all")) {
        if (options.scenario().equals("all")) {
          out.println();
          options = DemoOptions.parse(withAbbaThreads(args));
        }
        ok &= new AbbaScenario(options, out).run();
      }
    } catch (AllocationFailedException | IllegalArgumentException e) {
      // e.g. a --budget too small for the reserves: the message says what to change
      out.println("slabkit-demo: cannot set up the scenario with these options: " + e.getMessage());
      return 2;
    }
    return ok ? 0 : 1;
  }

  /** For {@code all}: the abba part uses its own default thread count unless --threads was given. */
  private static String[] withAbbaThreads(String[] args) {
    for (String a : args) {
      if (a.equals("--threads")) {
        return args;
      }
    }
    String[] more = java.util.Arrays.copyOf(args, args.length + 2);
    more[args.length] = "--threads";
    more[args.length + 1] = String.valueOf(DemoOptions.DEFAULT_ABBA_THREADS);
    return more;
  }
}
