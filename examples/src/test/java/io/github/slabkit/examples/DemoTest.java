package io.github.slabkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the demo's scenarios with short durations and checks their exit status and report. */
class DemoTest {
  private static String[] result(String... args) {
    return resultWithInput("", args);
  }

  private static String[] resultWithInput(String input, String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int[] status = new int[1];
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            status[0] =
                Demo.run(out, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), args);
          }
        });
    return new String[] {String.valueOf(status[0]), bytes.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void helpListsTheScenariosAndOptions() {
    String[] r = result("--help");
    assertEquals("0", r[0]);
    assertTrue(r[1].contains("writeback") && r[1].contains("abba") && r[1].contains("--budget"), r[1]);
  }

  @Test
  void badArgumentsExitWithTwo() {
    String[] r = result("--threads", "zero");
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains("--threads needs a number"), r[1]);
    assertEquals("2", result("--frobnicate")[0]);
  }

  @Test
  void aBudgetTooSmallForTheReserveIsExplained() {
    String[] r = result("--budget", "4k");
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains("cannot set up the scenario") && r[1].contains("minNr"), r[1]);
  }

  @Test
  void writebackPassesItsChecksAndUsesTheReserve() {
    String[] r = result("writeback", "--duration", "1.5", "--threads", "2", "--seed", "7");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("ops/s"), r[1]);
    assertTrue(r[1].contains("slabinfo - version: 2.1"), r[1]);
    assertTrue(r[1].contains("extent_state_pool"), r[1]);
    assertTrue(r[1].contains("writeback: all"), r[1]);
  }

  @Test
  void abbaDeadlocksNaivelyAndCompletesWithReservations() {
    String[] r = result("abba", "--threads", "4", "--watchdog", "300");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("DEADLOCK detected by the watchdog"), r[1]);
    assertTrue(r[1].contains("waits for pool-"), r[1]);
    assertTrue(r[1].contains("reservations: all 400 operations completed"), r[1]);
  }

  @Test
  void sizesParse() {
    assertEquals(192 * 1024, DemoOptions.size("--budget", "192k"));
    assertEquals(3L << 20, DemoOptions.size("--budget", "3M"));
    assertEquals(1L << 30, DemoOptions.size("--budget", "1g"));
  }

  @Test
  void aBadBudgetShowsTheAcceptedForms() {
    String[] r = result("--budget", "lots");
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains("--budget needs a size, was 'lots'"), r[1]);
    assertTrue(r[1].contains("accepted forms") && r[1].contains("192k, 1m, 2g"), r[1]);
    String[] tooBig = result("--file-size", "2048g");
    assertEquals("2", tooBig[0], tooBig[1]);
    assertTrue(tooBig[1].contains("accepted forms"), tooBig[1]);
  }

  @Test
  void jmxPrintsTheRegisteredNamesAndTheProcessId() {
    String[] r = result("writeback", "--duration", "0.5", "--threads", "1", "--jmx");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("JMX: process id " + ProcessHandle.current().pid()), r[1]);
    assertTrue(r[1].contains("  io.github.slabkit:type=SlabCache,name=extent_state\n"), r[1]);
    assertTrue(r[1].contains("  io.github.slabkit:type=Mempool,name=extent_state_pool\n"), r[1]);
  }

  @Test
  void holdEndsWhenEnterIsPressed() {
    String[] r = resultWithInput("\n", "abba", "--threads", "4", "--watchdog", "300", "--jmx", "--hold", "50");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("holding for 50.0 s with everything open"), r[1]);
    assertTrue(r[1].contains("hold ended: Enter pressed"), r[1]);
  }

  @Test
  void holdWithoutInputEndsWhenTheTimeIsUpNotAtEndOfInput() {
    String[] r = result("writeback", "--duration", "0.5", "--threads", "1", "--hold", "0.3");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].contains("hold ended: time is up"), r[1]);
    assertEquals("2", result("--hold", "0")[0], "a hold must be bounded: 0 < SECS <= 3600");
    assertEquals("2", result("--hold", "forever")[0]);
  }

  @Test
  void slabDebugHeaderSaysDebuggingIsOnAndWhatItCosts() {
    String[] r = result("writeback", "--duration", "0.5", "--threads", "1", "--slab-debug", "FZP");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].startsWith("slab debugging is ON for the demo's caches: FZP (--slab-debug)"), r[1]);
    assertTrue(r[1].contains("Cost:") && r[1].contains("fewer ops/s"), r[1]);
    assertFalse(result("--help")[1].contains("debugging is ON"));
  }

  @Test
  void allEndsWithOneCombinedVerdict() {
    String[] r = result("all", "--duration", "0.5", "--threads", "4", "--watchdog", "300");
    assertEquals("0", r[0], r[1]);
    List<String> lines = r[1].strip().lines().toList();
    assertEquals("all: writeback passed, abba passed: every check passed", lines.get(lines.size() - 1), r[1]);
  }

  @Test
  void theMainMethodExitsWithTwoOnABadOption() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), Demo.class.getName(), "--frobnicate")
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the demo did not exit");
    assertEquals(2, p.exitValue(), output);
    assertTrue(output.contains("slabkit-demo: unknown argument '--frobnicate' (try --help)"), output);
  }
}
