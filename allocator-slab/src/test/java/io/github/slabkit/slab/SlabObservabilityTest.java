package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Statistics that separate used from cached memory, trim, JMX, JFR and the slabinfo registry. */
class SlabObservabilityTest {

  @Test
  void statisticsSeparateInUseCachedEmptyAndCharged() {
    try (SlabCache c = SlabCache.builder("split").objectSize(64).objectsPerSlab(16).magazineSize(8).maxEmptySlabs(4).build()) {
      long[] hs = new long[40];
      c.allocateBulk(hs, 40);
      c.freeBulk(hs, 10); // into this thread's magazines
      SlabStatistics s = c.slabStatistics();
      assertEquals(30, s.activeObjects());
      assertEquals(30 * 64, s.bytesInUse());
      assertEquals(10, s.cachedObjects());
      assertEquals(10 * 64, s.bytesCached());
      assertEquals(3 * 16 * 64, s.bytesCharged());
      long[] rest = new long[30];
      System.arraycopy(hs, 10, rest, 0, 30);
      c.freeBulk(rest, 30);
      assertTrue(c.trim() > 0, "trim returns idle slabs");
      s = c.slabStatistics();
      assertEquals(0, s.cachedObjects());
      assertEquals(0, s.bytesInEmptySlabs());
      assertEquals(0, s.bytesCharged());
    }
  }

  @Test
  void idleCachesAreTrimmedByThePolicy() throws Exception {
    try (SlabCache c =
        SlabCache.builder("idle").objectSize(32).objectsPerSlab(8).trimWhenIdle(Duration.ofMillis(20)).build()) {
      long[] hs = new long[20];
      Thread t = Thread.ofPlatform().start(() -> {
        c.allocateBulk(hs, 20);
        c.freeBulk(hs, 20);
      });
      t.join();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (c.slabStatistics().totalSlabs() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, c.slabStatistics().totalSlabs(), "an idle cache must give its slabs back");
    }
  }

  @Test
  void mbeanIsRegisteredReadableAndUnregisteredOnClose() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName on;
    try (SlabCache c = SlabCache.builder("jmx-cache").objectSize(48).jmx(true).build()) {
      long h = c.allocate();
      on = c.registerMBean();
      assertTrue(server.isRegistered(on));
      assertEquals(1L, server.getAttribute(on, "ActiveObjects"));
      assertEquals(48L, server.getAttribute(on, "BytesInUse"));
      assertEquals("jmx-cache", server.getAttribute(on, "Name"));
      assertTrue(((String) server.getAttribute(on, "SlabInfo")).startsWith("jmx-cache"));
      c.free(h);
    }
    assertFalse(server.isRegistered(on), "close() must unregister the MBean");
  }

  @Test
  void registryListsOpenCachesOnly() {
    SlabRegistry reg = new SlabRegistry();
    SlabCache a = SlabCache.builder("reg-a").objectSize(8).registry(reg).build();
    try (SlabCache b = SlabCache.builder("reg-b").objectSize(8).registry(reg).build()) {
      assertEquals(List.of(a, b), reg.caches());
      a.close();
      assertEquals(List.of(b), reg.caches());
      assertTrue(reg.slabInfo().contains("reg-b"));
      assertFalse(reg.slabInfo().contains("reg-a"));
    }
  }

  @Test
  void jfrEventsAreRecordedAndReadBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("slab.jfr");
    try (Recording r = new Recording()) {
      r.enable("io.github.slabkit.SlabGrow");
      r.enable("io.github.slabkit.SlabRelease");
      r.enable("io.github.slabkit.AllocationFailure");
      r.enable("io.github.slabkit.SlabDebugReport");
      r.start();
      MemoryBudget budget = MemoryBudget.ofBytes("jfr", 8 * 64);
      try (SlabCache c = SlabCache.builder("jfr-cache").objectSize(64).objectsPerSlab(8).budget(budget).build()) {
        long[] hs = new long[8];
        c.allocateBulk(hs, 8);
        assertEquals(0, c.tryAllocate());
        c.freeBulk(hs, 8);
        c.shrink();
      }
      try (SlabCache d = SlabCache.builder("jfr-debug").objectSize(16).debug(SlabDebug.of("Z")).build()) {
        long h = d.allocate();
        d.memory(h).set(ValueLayout.JAVA_BYTE, d.offset(h) + 16, (byte) 9);
        d.free(h);
      }
      r.stop();
      r.dump(file);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    Set<String> names = events.stream().map(e -> e.getEventType().getName()).collect(Collectors.toSet());
    assertTrue(names.contains("io.github.slabkit.SlabGrow"), names.toString());
    assertTrue(names.contains("io.github.slabkit.SlabRelease"), names.toString());
    assertTrue(names.contains("io.github.slabkit.AllocationFailure"), names.toString());
    assertTrue(names.contains("io.github.slabkit.SlabDebugReport"), names.toString());
    RecordedEvent grow =
        events.stream().filter(e -> e.getEventType().getName().endsWith("SlabGrow")).findFirst().orElseThrow();
    assertEquals("jfr-cache", grow.getString("cache"));
    assertEquals(512, grow.getLong("slabBytes"));
    assertTrue(Files.size(file) > 0);
  }
}
