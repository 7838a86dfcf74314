package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production leak detector ({@link SlabCacheBuilder#leakSampling(int)}, {@link
 * SlabCacheBuilder#leakAge(Duration)}): what it samples, where a site starts, that a free forgets, the
 * reports at close and by age (System.Logger text and JFR), and bad options.
 */
class LeakSamplingTest {

  private static SlabCacheBuilder cache(String name) {
    return SlabCache.builder(name).objectSize(32).objectsPerSlab(64).magazineSize(16);
  }

  private static boolean isLeakSuspect(RecordedEvent ev, String cache) {
    return ev.getEventType().getName().equals("io.github.slabkit.LeakSuspect") && cache.equals(ev.getString("cache"));
  }

  /** A method whose name the recorded site must show as its first frame. */
  private static long allocateHere(SlabCache c) {
    return c.allocate();
  }

  @Test
  void everySampledLiveObjectIsListedWithASiteStartingAtTheCaller() {
    try (SlabCache c = cache("leak-every").leakSampling(1).build()) {
      long kept = allocateHere(c);
      long freed = allocateHere(c);
      c.free(freed);
      List<SampledAllocation> live = c.sampledLiveObjects();
      assertEquals(1, live.size(), live.toString());
      SampledAllocation s = live.get(0);
      assertEquals(kept, s.handle());
      assertEquals(Thread.currentThread().getName(), s.thread());
      StackTraceElement top = s.site().get(0);
      assertEquals(LeakSamplingTest.class.getName(), top.getClassName(), "the site starts at the caller");
      assertEquals("allocateHere", top.getMethodName());
      assertTrue(s.site().size() <= 16, "at most 16 frames");
      assertTrue(!s.age().isNegative());
      assertEquals(2, c.sampledAllocations());
      c.free(kept);
      assertTrue(c.sampledLiveObjects().isEmpty(), "a free forgets the record");
    }
  }

  @Test
  void contextsBulkAndTimedAllocationsAreSampledToo() throws InterruptedException {
    try (SlabCache c = cache("leak-paths").leakSampling(1).build(); SlabLocal local = c.local()) {
      long a = local.allocate();
      long b = local.tryAllocate();
      long t = c.tryAllocate(1, java.util.concurrent.TimeUnit.MILLISECONDS);
      long[] bulk = new long[5];
      c.allocateBulk(bulk, 5);
      long[] localBulk = new long[5];
      local.allocateBulk(localBulk, 5);
      assertEquals(13, c.sampledLiveObjects().size());
      local.free(a);
      local.free(b);
      c.free(t);
      c.freeBulk(bulk, 5);
      local.freeBulk(localBulk, 5);
      assertTrue(c.sampledLiveObjects().isEmpty());
    }
  }

  @Test
  void aDoubleFreeOfASampledObjectIsStillRefused() {
    try (SlabCache c = cache("leak-double-free").leakSampling(1).build()) {
      long h = c.allocate();
      c.free(h);
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(h));
      assertTrue(e.getMessage().contains("double free"), e.getMessage());
      Set<Long> seen = new java.util.HashSet<>();
      List<Long> again = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        long x = c.allocate();
        assertTrue(seen.add(x), "handed out twice");
        again.add(x);
      }
      again.forEach(c::free);
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void theIntervalIsTheMeanNumberOfAllocationsPerSample() {
    try (SlabCache c = cache("leak-rate").leakSampling(100).build()) {
      for (int i = 0; i < 100_000; i++) {
        c.free(c.allocate());
      }
      long n = c.sampledAllocations();
      // Expected 1,000 (the countdown is uniform in [1, 199]); a standard deviation is about 20.
      assertTrue(n > 700 && n < 1_400, n + " samples of 100,000 allocations at 1 in 100");
      assertTrue(c.sampledLiveObjects().isEmpty(), "everything was freed");
    }
  }

  @Test
  void offSamplesNothing() {
    try (SlabCache c = cache("leak-off").leakSampling(0).build()) {
      for (int i = 0; i < 10_000; i++) {
        c.free(c.allocate());
      }
      long h = c.allocate();
      assertEquals(0, c.sampledAllocations());
      assertTrue(c.sampledLiveObjects().isEmpty());
      c.free(h);
    }
  }

  @Test
  void closeReportsTheSampledLeaksWithTheirSites(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("leaks.jfr");
    IllegalStateException e;
    try (Recording r = new Recording()) {
      r.enable("io.github.slabkit.LeakSuspect");
      r.start();
      SlabCache c = cache("leak-close").leakSampling(1).throwOnLeak(true).build();
      allocateHere(c);
      allocateHere(c);
      e = assertThrows(IllegalStateException.class, c::close);
      r.stop();
      r.dump(file);
    }
    String msg = e.getMessage();
    assertTrue(msg.contains("2 objects"), msg);
    assertTrue(msg.contains("sampled live objects"), msg);
    assertTrue(msg.contains(LeakSamplingTest.class.getName() + ".allocateHere("), msg);
    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    List<RecordedEvent> mine =
        events.stream().filter(ev -> isLeakSuspect(ev, "leak-close")).collect(Collectors.toList());
    assertEquals(2, mine.size(), events.toString());
    assertEquals("close", mine.get(0).getString("reason"));
    assertTrue(mine.get(0).getString("site").contains("allocateHere"), mine.get(0).getString("site"));
  }

  @Test
  void aLeakReportWithoutSamplingSaysHowToTurnItOn() {
    try (SlabCache c = cache("leak-report-off").leakSampling(0).build()) {
      long h = c.allocate();
      String report = c.leakReport();
      assertTrue(report.contains("leakSampling"), report);
      c.free(h);
      assertEquals("", c.leakReport());
    }
  }

  @Test
  void anObjectOlderThanTheAgeIsReportedOnce(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("aged.jfr");
    try (Recording r = new Recording()) {
      r.enable("io.github.slabkit.LeakSuspect");
      r.start();
      try (SlabCache c = cache("leak-age").leakSampling(1).leakAge(Duration.ofMillis(20)).build()) {
        long h = allocateHere(c);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // a watchdog, not a timing claim
        while (!c.sampledLiveObjects().isEmpty()) {
          assertTrue(System.nanoTime() < deadline, "the age check never reported the object");
          Thread.sleep(5);
        }
        Thread.sleep(100); // several more checks: it must not be reported again
        c.free(h);
      }
      r.stop();
      r.dump(file);
    }
    List<RecordedEvent> mine =
        RecordingFile.readAllEvents(file).stream()
            .filter(ev -> isLeakSuspect(ev, "leak-age"))
            .collect(Collectors.toList());
    assertEquals(1, mine.size(), mine.toString());
    assertEquals("age", mine.get(0).getString("reason"));
    assertTrue(mine.get(0).getDuration("age").toMillis() >= 20, mine.get(0).toString());
  }

  @Test
  void badOptionsAreRefusedWithTheirName() {
    IllegalArgumentException neg =
        assertThrows(IllegalArgumentException.class, () -> cache("leak-bad").leakSampling(-1));
    assertTrue(neg.getMessage().contains("leakSampling"), neg.getMessage());
    IllegalArgumentException age =
        assertThrows(IllegalArgumentException.class, () -> cache("leak-bad").leakAge(Duration.ZERO));
    assertTrue(age.getMessage().contains("leakAge"), age.getMessage());
    String old = System.getProperty(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY);
    try {
      System.setProperty(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY, "often");
      IllegalArgumentException prop =
          assertThrows(IllegalArgumentException.class, () -> cache("leak-bad-prop").build());
      assertTrue(prop.getMessage().contains(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY), prop.getMessage());
      System.setProperty(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY, "on");
      try (SlabCache c = cache("leak-prop-on").build()) {
        for (int i = 0; i < 100_000; i++) {
          c.free(c.allocate());
        }
        assertTrue(c.sampledAllocations() > 0, "on samples 1 in " + SlabCacheBuilder.DEFAULT_LEAK_SAMPLING);
      }
    } finally {
      if (old == null) {
        System.clearProperty(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY);
      } else {
        System.setProperty(SlabCacheBuilder.LEAK_SAMPLING_PROPERTY, old);
      }
    }
  }
}
