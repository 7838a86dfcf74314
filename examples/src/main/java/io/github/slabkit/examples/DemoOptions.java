package io.github.slabkit.examples;

import io.github.slabkit.slab.SlabDebug;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The demo's command line: a scenario name and options. Immutable.
 *
 * @param scenario {@code writeback}, {@code abba} or {@code all}
 * @param threads writer threads (writeback) or worker threads (abba)
 * @param duration how long the writeback simulation runs
 * @param budgetBytes the memory budget of the writeback simulation's slab caches
 * @param reserve the extent-state mempool's reserve ({@code minNr})
 * @param poolSize the reserve of each of the two abba pools
 * @param fileBytes the size of the simulated file
 * @param watchdog how long the abba watchdog waits without progress before it calls it a deadlock
 * @param seed the random seed
 * @param slabDebug slab debugging flags for the demo's caches, or null for the default (the system property)
 * @param jmx whether to register the caches' and pools' MBeans and print their names
 * @param hold how long to keep everything open after the run for a JMX client, or null for no hold
 * @param help whether {@code --help} was asked for
 */
public record DemoOptions(
    String scenario,
    int threads,
    Duration duration,
    long budgetBytes,
    int reserve,
    int poolSize,
    long fileBytes,
    Duration watchdog,
    long seed,
    @Nullable SlabDebug slabDebug,
    boolean jmx,
    @Nullable Duration hold,
    boolean help) {

  /** Default writer threads of the writeback simulation. */
  public static final int DEFAULT_WRITERS = 4;

  /** Default worker threads of the abba scenario. */
  public static final int DEFAULT_ABBA_THREADS = 8;

  /** The text {@code --help} prints. */
  public static final String HELP =
      """
      Slabkit demo: the writeback simulation and the ABBA deadlock.

      Usage: java -jar slabkit-demo.jar [SCENARIO] [OPTIONS]
             mvn -q -Pdemo -pl examples -am package -DskipTests -Ddemo.args="SCENARIO OPTIONS"

      Scenarios:
        writeback   (default) writer threads lock ranges of a simulated file in an extent tree, mark them
                    DELALLOC|DIRTY and unlock; a flusher finds delalloc ranges, locks them and clears them.
                    Every extent state comes from a mempool over a slab cache under a tight memory budget,
                    so the mempool's reserve is used. Prints a progress line each second, then slabinfo,
                    mempool and reservation statistics, and verifies the tree and that every object came back.
        abba        two small pools, many threads each needing one object of each. First per-object blocking
                    allocation: it deadlocks, a watchdog detects it, reports who waits on which pool and
                    releases the threads. Then the same work through reservations: it completes.
        all         writeback, then abba.

      Options:
        --threads N        writer threads (writeback, default 4) or worker threads (abba, default 8)
        --duration SECS    how long the writeback simulation runs (default 10; fractions allowed)
        --budget SIZE      memory budget of the writeback caches, e.g. 192k, 1m (default 192k)
        --reserve N        reserve of the extent-state mempool, in states (default 128)
        --pool-size N      reserve of each abba pool (default 2)
        --file-size SIZE   size of the simulated file (default 256m)
        --watchdog MILLIS  abba: time without progress that counts as a deadlock (default 1000)
        --seed N           random seed (default 42)
        --slab-debug FLAGS slab debugging for the demo's caches, any of F Z P U (kernel slab_debug);
                           -Dslabkit.slab_debug=FLAGS on the java command line does the same
        --jmx              register the MBeans of the demo's caches and pools and print their names and
                           the process id (io.github.slabkit:type=SlabCache,name=extent_state, ...)
        --hold SECS        after the run, keep the caches and pools open (MBeans registered) for a JMX
                           client until Enter is pressed or SECS have passed (at most 3600)
        --help             this text

      Exit status: 0 when every check passed (writeback: tree consistent, every object returned;
      abba: the deadlock was detected and the reservations completed), 1 when a check failed,
      2 on a bad command line (or options that cannot work, e.g. a budget too small for the reserves).
      Through Maven (-Pdemo) a non-zero status fails the build and Maven exits 1; run the jar directly
      (java -jar examples/target/slabkit-demo.jar ...) to see the demo's own status.
      """;

  /**
   * Parses the command line.
   *
   * @param args the arguments
   * @return the options
   * @throws IllegalArgumentException with a message for the user on a bad argument
   */
  public static DemoOptions parse(String... args) {
    String scenario = "writeback";
    int threads = -1;
    Duration duration = Duration.ofSeconds(10);
    long budget = 192 * 1024;
    int reserve = 128;
    int poolSize = 2;
    long file = 256L << 20;
    Duration watchdog = Duration.ofSeconds(1);
    long seed = 42;
    SlabDebug debug = null;
    boolean jmx = false;
    Duration hold = null;
    boolean help = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "writeback", "abba", "all" -> scenario = a;
        case "help", "--help", "-h" -> help = true;
        case "--jmx" -> jmx = true;
        case "--threads" -> threads = positiveInt(a, value(args, ++i, a));
        case "--duration" -> duration = seconds(a, value(args, ++i, a));
        case "--budget" -> budget = size(a, value(args, ++i, a));
        case "--reserve" -> reserve = positiveInt(a, value(args, ++i, a));
        case "--pool-size" -> poolSize = positiveInt(a, value(args, ++i, a));
        case "--file-size" -> file = size(a, value(args, ++i, a));
        case "--watchdog" -> watchdog = Duration.ofMillis(positiveInt(a, value(args, ++i, a)));
        case "--hold" -> hold = seconds(a, value(args, ++i, a));
        case "--seed" -> seed = parseLong(a, value(args, ++i, a));
        case "--slab-debug" -> debug = SlabDebug.of(value(args, ++i, a));
        default ->
            throw new IllegalArgumentException("unknown argument '" + a + "' (try --help)");
      }
    }
    if (reserve < 8) {
      throw new IllegalArgumentException("--reserve must be at least 8 states, was " + reserve);
    }
    if (file < 64 * 4096) {
      throw new IllegalArgumentException("--file-size must be at least 256k, was " + file);
    }
    if (threads == -1) {
      threads = scenario.equals("abba") ? DEFAULT_ABBA_THREADS : DEFAULT_WRITERS;
    }
    return new DemoOptions(
        scenario, threads, duration, budget, reserve, poolSize, file, watchdog, seed, debug, jmx, hold, help);
  }

  /**
   * Returns the worker threads for the abba scenario: the {@code --threads} value, but at least two.
   *
   * @return the thread count
   */
  public int abbaThreads() {
    return Math.max(2, threads);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value (try --help)");
    }
    return args[i];
  }

  private static int positiveInt(String option, String v) {
    long n = parseLong(option, v);
    if (n < 1 || n > 100_000) {
      throw new IllegalArgumentException(option + " must be 1 to 100000, was " + v);
    }
    return (int) n;
  }

  private static long parseLong(String option, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number, was '" + v + "'", e);
    }
  }

  private static Duration seconds(String option, String v) {
    try {
      double s = Double.parseDouble(v.trim());
      if (!(s > 0 && s <= 3600)) {
        throw new IllegalArgumentException(option + " must be more than 0 and at most 3600, was " + v);
      }
      return Duration.ofNanos((long) (s * 1e9));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number of seconds, was '" + v + "'", e);
    }
  }

  /**
   * Parses a byte size: a number with an optional {@code k}, {@code m} or {@code g} suffix (powers of 1024).
   *
   * @param option the option, for messages
   * @param v the text
   * @return the bytes
   */
  static long size(String option, String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    if (s.endsWith("k") || s.endsWith("m") || s.endsWith("g")) {
      char c = s.charAt(s.length() - 1);
      unit = c == 'k' ? 1L << 10 : c == 'm' ? 1L << 20 : 1L << 30;
      s = s.substring(0, s.length() - 1);
    }
    long n;
    try {
      n = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a size, was '" + v + "'; " + SIZE_FORMS, e);
    }
    if (n < 1 || n > (1L << 40) / unit) {
      throw new IllegalArgumentException(option + " must be 1 byte to 1 TiB, was '" + v + "'; " + SIZE_FORMS);
    }
    return n * unit;
  }

  /** What a size option accepts, for error messages. */
  static final String SIZE_FORMS =
      "accepted forms: a whole number of bytes (4096) or with a suffix k, m or g for KiB, MiB or GiB"
          + " (192k, 1m, 2g), case-insensitive";

}
