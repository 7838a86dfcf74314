package io.github.slabkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the demo's scenarios with short durations and checks their exit status and report. */
class DemoTest {
  private static String[] result(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int[] status = new int[1];
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            status[0] = Demo.run(out, args);
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
}
