package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
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

/** Reserve poisoning in debug mode, the mempool MXBean, and JFR events for reserve use and waits. */
class MempoolObservabilityTest {

  @Test
  void aWriteIntoAReservedElementIsReportedWhenItLeavesTheReserve() {
    try (TestAllocator backing = new TestAllocator("poison-backing", 32, 16, 1)) {
      Mempool pool = Mempool.builder("poisoned", backing).minNr(2).poisonReserve(true).build();
      backing.failAlways(true);
      long a = pool.allocate(); // from the reserve
      pool.free(a); // back into the reserve, poisoned
      assertEquals(0, pool.debugReports());
      backing.memory(a).set(ValueLayout.JAVA_BYTE, backing.offset(a) + 5, (byte) 1); // stale write
      long b = pool.allocate();
      long c = pool.allocate();
      assertEquals(1, pool.debugReports(), "exactly the damaged element is reported");
      pool.free(b);
      pool.free(c);
      long d = pool.allocate();
      pool.free(d);
      assertEquals(1, pool.debugReports(), "untouched elements pass the check");
      backing.failAlways(false);
      pool.close();
    }
  }

  @Test
  void poisoningIsOffByDefault() {
    try (TestAllocator backing = new TestAllocator("plain-backing", 32, 16, 1)) {
      Mempool pool = Mempool.builder("plain", backing).minNr(2).build();
      backing.failAlways(true);
      long a = pool.allocate();
      pool.free(a);
      backing.memory(a).set(ValueLayout.JAVA_BYTE, backing.offset(a), (byte) 1);
      pool.free(pool.allocate());
      assertEquals(0, pool.debugReports());
      backing.failAlways(false);
      pool.close();
    }
  }

  @Test
  void mbeanIsRegisteredAndUnregistered() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName on;
    try (TestAllocator backing = new TestAllocator("jmx-backing", 16, 16, 1)) {
      Mempool pool = Mempool.builder("jmx-pool", backing).minNr(3).jmx(true).build();
      on = pool.registerMBean();
      long h = pool.allocate();
      assertTrue(server.isRegistered(on));
      assertEquals(3, server.getAttribute(on, "MinNr"));
      assertEquals(1L, server.getAttribute(on, "LiveObjects"));
      assertEquals("jmx-pool", server.getAttribute(on, "Name"));
      pool.free(h);
      pool.close();
    }
    assertFalse(server.isRegistered(on));
  }

  @Test
  void jfrRecordsReserveUseAndWaits(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mempool.jfr");
    try (Recording r = new Recording();
        TestAllocator backing = new TestAllocator("jfr-backing", 16, 16, 1)) {
      r.enable("io.github.slabkit.ReserveUse");
      r.enable("io.github.slabkit.MempoolWait");
      r.enable("io.github.slabkit.ReservationWait");
      r.start();
      Mempool pool = Mempool.builder("jfr-pool", backing).minNr(1).build();
      backing.failAlways(true);
      long h = pool.allocate(); // reserve use
      Thread waiter = Thread.ofPlatform().start(() -> pool.free(pool.allocate()));
      // The pool's own count of waiters, not a thread state that a deadline could silently fall through.
      Waiting.until("the allocation waits in the pool", () -> pool.mempoolStatistics().waiting() == 1);
      pool.free(h); // wakes the waiter
      waiter.join(10_000);
      assertFalse(waiter.isAlive());
      long h2 = pool.allocate();
      Thread rwaiter =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (Reservation res = Reservation.of(pool, 1).acquire()) {
                      pool.free(res.take(pool));
                    }
                  });
      Waiting.until("the reservation waits in the pool", () -> pool.mempoolStatistics().waiting() == 1);
      pool.free(h2);
      rwaiter.join(10_000);
      assertFalse(rwaiter.isAlive());
      backing.failAlways(false);
      pool.close();
      r.stop();
      r.dump(file);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(file);
    Set<String> names = events.stream().map(e -> e.getEventType().getName()).collect(Collectors.toSet());
    assertTrue(names.contains("io.github.slabkit.ReserveUse"), names.toString());
    assertTrue(names.contains("io.github.slabkit.MempoolWait"), names.toString());
    assertTrue(names.contains("io.github.slabkit.ReservationWait"), names.toString());
    RecordedEvent use =
        events.stream().filter(e -> e.getEventType().getName().endsWith("ReserveUse")).findFirst().orElseThrow();
    assertEquals("jfr-pool", use.getString("pool"));
    RecordedEvent rw =
        events.stream().filter(e -> e.getEventType().getName().endsWith("ReservationWait")).findFirst().orElseThrow();
    assertEquals("jfr-pool", rw.getString("pools"));
    assertEquals(1, rw.getInt("objects"));
  }
}
