package io.github.slabkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCorruptionException;
import io.github.slabkit.slab.SlabDebug;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import jdk.jfr.Configuration;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JFR catalog (docs/jfr-events.md) and the settings file (docs/slabkit.jfc) against the real events: a
 * recording made with the settings file records each of the nine events, and every Slabkit event type the
 * JVM knows is in both files.
 */
class JfrCatalogTest {
  private static final Path DOCS = Path.of("..", "docs");
  private static final List<String> EVENTS =
      List.of(
          "io.github.slabkit.SlabGrow",
          "io.github.slabkit.SlabRelease",
          "io.github.slabkit.AllocationFailure",
          "io.github.slabkit.SlabDebugReport",
          "io.github.slabkit.LeakSuspect",
          "io.github.slabkit.ReserveUse",
          "io.github.slabkit.MempoolWait",
          "io.github.slabkit.ReservationWait",
          "io.github.slabkit.MempoolDebugReport");

  @Test
  void aRecordingWithTheSettingsFileRecordsEveryEvent(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("slabkit.jfr");
    List<String> logged = new ArrayList<>();
    try (Recording r = new Recording(Configuration.create(DOCS.resolve("slabkit.jfc")));
        CapturedLog slabLog = new CapturedLog("io.github.slabkit.slab", logged);
        CapturedLog poolLog = new CapturedLog("io.github.slabkit.mempool", logged)) {
      r.start();
      slabEvents();
      mempoolEvents();
      r.stop();
      r.dump(file);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    Set<String> recorded = new TreeSet<>();
    for (RecordedEvent e : events) {
      recorded.add(e.getEventType().getName());
    }
    for (String name : EVENTS) {
      assertTrue(recorded.contains(name), name + " was not recorded; recorded: " + recorded);
    }
    RecordedEvent wait =
        events.stream().filter(e -> e.getEventType().getName().endsWith("MempoolWait")).findFirst().orElseThrow();
    assertTrue(wait.getLong("waitNanos") > 0, wait.toString());
    assertTrue(wait.getDuration().isZero(), "the catalog says waits are not timed events: " + wait);
    // The events whose stack starts in the library name the application's frame that called it.
    for (String name : List.of("AllocationFailure", "SlabDebugReport", "MempoolWait", "MempoolDebugReport")) {
      RecordedEvent e =
          events.stream().filter(x -> x.getEventType().getName().endsWith("." + name)).findFirst().orElseThrow();
      assertTrue(
          e.getString("caller").startsWith(JfrCatalogTest.class.getName() + "."),
          name + "'s caller must be this test's frame: " + e.getString("caller"));
    }
    // The debug reports went to the loggers too (captured here instead of printed).
    assertTrue(logged.stream().anyMatch(m -> m.startsWith("BUG jfr-debug:")), logged.toString());
    assertTrue(logged.stream().anyMatch(m -> m.startsWith("BUG jfr-pool:")), logged.toString());
    assertTrue(logged.stream().anyMatch(m -> m.startsWith("BUG jfr-leak:") && m.contains("sampled live objects")),
        logged.toString());
  }

  @Test
  void everySlabkitEventTypeIsInTheCatalogAndTheSettingsFile() throws Exception {
    List<String> logged = new ArrayList<>();
    try (CapturedLog slabLog = new CapturedLog("io.github.slabkit.slab", logged);
        CapturedLog poolLog = new CapturedLog("io.github.slabkit.mempool", logged)) {
      slabEvents(); // loads the event classes, which registers their types
      mempoolEvents();
    }
    String catalog = Files.readString(DOCS.resolve("jfr-events.md"), StandardCharsets.UTF_8);
    String settings = Files.readString(DOCS.resolve("slabkit.jfc"), StandardCharsets.UTF_8);
    Set<String> known = new TreeSet<>();
    for (EventType t : FlightRecorder.getFlightRecorder().getEventTypes()) {
      if (t.getName().startsWith("io.github.slabkit.")) {
        known.add(t.getName());
        assertTrue(catalog.contains("`" + t.getName() + "`"), t.getName() + " is missing from jfr-events.md");
        assertTrue(settings.contains("\"" + t.getName() + "\""), t.getName() + " is missing from slabkit.jfc");
      }
    }
    assertEquals(new TreeSet<>(EVENTS), known, "the catalog's events are the ones the JVM knows");
  }

  /** SlabGrow, SlabRelease, AllocationFailure, SlabDebugReport and LeakSuspect. */
  private static void slabEvents() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("jfr", slabBytes(4));
    try (SlabCache cache =
        SlabCache.builder("jfr-slab").objectSize(64).objectsPerSlab(4).budget(budget).build()) {
      long[] h = new long[4];
      cache.allocateBulk(h, 4); // grow
      assertEquals(0, cache.tryAllocate(), "the budget holds one slab"); // failure
      cache.freeBulk(h, 4);
      cache.shrink(); // release
    }
    SlabDebug debug = SlabDebug.of("Z").throwOnReport(true);
    try (SlabCache cache = SlabCache.builder("jfr-debug").objectSize(24).debug(debug).build()) {
      long h = cache.allocate();
      cache.memory(h).set(ValueLayout.JAVA_BYTE, cache.offset(h) + 24, (byte) 1); // into the red zone
      assertThrows(SlabCorruptionException.class, () -> cache.free(h)); // debug report
    }
    SlabCache leaky = SlabCache.builder("jfr-leak").objectSize(32).leakSampling(1).build();
    leaky.allocate(); // sampled, and never freed:
    leaky.close(); // a leak suspect at close (and a BUG record in the log)
  }

  /** ReserveUse, MempoolWait, ReservationWait and MempoolDebugReport. */
  private static void mempoolEvents() throws Exception {
    MemoryBudget budget = MemoryBudget.ofBytes("jfr-pool", slabBytes(4));
    try (SlabCache cache =
            SlabCache.builder("jfr-backing").objectSize(64).objectsPerSlab(4).budget(budget).build();
        Mempool pool = Mempool.builder("jfr-pool", cache).minNr(4).poisonReserve(true).build()) {
      // The reserve holds the only slab's four objects: every allocation now comes from the reserve.
      long[] h = new long[4];
      for (int i = 0; i < 4; i++) {
        h[i] = pool.allocate(); // reserve use
      }
      Thread waiter = Thread.ofPlatform().start(() -> pool.free(pool.allocate()));
      awaitCondition("a waiting allocation", () -> pool.mempoolStatistics().waiting() == 1);
      pool.free(h[0]); // grants the waiter: mempool wait
      join(waiter);
      h[0] = pool.allocate(); // the waiter's object, back in the reserve: empty the reserve again
      Thread reserver =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (Reservation r = Reservation.of(pool, 1).acquire()) {
                      pool.free(r.take(pool));
                    }
                  });
      awaitCondition("a waiting reservation", () -> pool.mempoolStatistics().waiting() == 1);
      pool.free(h[1]); // grants the reservation: reservation wait
      join(reserver);
      h[1] = pool.allocate(); // empty the reserve again, so the next allocation takes exactly h[2]
      // h[2] back into the (poisoned) reserve, then written after its free: the next allocation reports it.
      long freed = h[2];
      pool.free(freed);
      cache.memory(freed).set(ValueLayout.JAVA_BYTE, cache.offset(freed), (byte) 7); // use after free
      long again = pool.allocate(); // mempool debug report
      pool.free(again);
      pool.free(h[0]);
      pool.free(h[1]);
      pool.free(h[3]);
    }
  }

  private static long slabBytes(int objects) {
    try (SlabCache probe = SlabCache.builder("jfr-probe").objectSize(64).objectsPerSlab(objects).build()) {
      return probe.slabStatistics().slabBytes();
    }
  }

  /** Polls until the condition holds; fails (instead of hanging) after 20 s. */
  private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no progress: " + what + " did not happen within 20 s");
      }
      Thread.sleep(5);
    }
  }

  private static void join(Thread t) throws InterruptedException {
    assertTrue(t.join(Duration.ofSeconds(20)), t.getName() + " did not finish: a waiter was not granted");
  }

  /** Takes a logger's records for the test instead of printing them, and gives the logger back at close. */
  private static final class CapturedLog extends Handler implements AutoCloseable {
    private final Logger logger;
    private final boolean useParent;
    private final List<String> sink;

    CapturedLog(String name, List<String> sink) {
      this.logger = Logger.getLogger(name);
      this.useParent = logger.getUseParentHandlers();
      this.sink = sink;
      logger.setUseParentHandlers(false);
      logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
      synchronized (sink) {
        sink.add(String.valueOf(record.getMessage()));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
      logger.setUseParentHandlers(useParent);
    }
  }
}
