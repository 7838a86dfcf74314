package io.github.slabkit.mempool.internal;

import io.github.slabkit.allocator.internal.Callers;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR events of mempools and reservations; committed only while a recording enables them. */
public final class MempoolEvents {
  // One never-committed instance per event type, to ask isEnabled() (a per-class setting) before creating
  // an event: without a recording that enables it, nothing is allocated, even before the JIT could
  // eliminate the allocation.
  private static final ReserveUse RESERVEUSE_PROBE = new ReserveUse();
  private static final Wait WAIT_PROBE = new Wait();
  private static final ReservationWait RESERVATIONWAIT_PROBE = new ReservationWait();
  private static final DebugReport DEBUGREPORT_PROBE = new DebugReport();

  private MempoolEvents() {}

  /** Objects were taken from a pool's reserve because the backing allocator had none. */
  @Name("io.github.slabkit.ReserveUse")
  @Label("Mempool Reserve Use")
  @Category({"Slabkit", "Mempool"})
  @Description("Objects were handed out from a mempool's reserve")
  @StackTrace(false)
  static final class ReserveUse extends Event {
    @Label("Pool") String pool = "";
    @Label("Objects") int objects;
    @Label("Reserve Level After") int reserveLevel;
  }

  /** An allocation, bulk allocation or reservation waited for a pool. */
  @Name("io.github.slabkit.MempoolWait")
  @Label("Mempool Wait")
  @Category({"Slabkit", "Mempool"})
  @Description("A mempool allocation or reservation waited for objects")
  static final class Wait extends Event {
    @Label("Caller")
    @Description(
        "The first frame outside Slabkit: the application's call (the event's stack starts inside the"
            + " library)")
    String caller = "";
    @Label("Pool") String pool = "";
    @Label("Wait") @Timespan(Timespan.NANOSECONDS) long waitNanos;
  }

  /** A reservation waited to be granted. */
  @Name("io.github.slabkit.ReservationWait")
  @Label("Reservation Wait")
  @Category({"Slabkit", "Mempool"})
  @Description("A multi-pool reservation waited to be granted")
  static final class ReservationWait extends Event {
    @Label("Caller")
    @Description(
        "The first frame outside Slabkit: the application's call (the event's stack starts inside the"
            + " library)")
    String caller = "";
    @Label("Pools") String pools = "";
    @Label("Objects") int objects;
    @Label("Wait") @Timespan(Timespan.NANOSECONDS) long waitNanos;
  }

  /** A debug report about a reserved element. */
  @Name("io.github.slabkit.MempoolDebugReport")
  @Label("Mempool Debug Report")
  @Category({"Slabkit", "Mempool"})
  @Description("A reserved element's poison was overwritten while it sat in the reserve")
  static final class DebugReport extends Event {
    @Label("Caller")
    @Description(
        "The first frame outside Slabkit: the application's call (the event's stack starts inside the"
            + " library)")
    String caller = "";
    @Label("Pool") String pool = "";
    @Label("Handle") long handle;
    @Label("Bad Offset") long badOffset;
  }

  /** Records objects taken from a reserve. */
  public static void reserveUse(String pool, int objects, int levelAfter) {
    if (!RESERVEUSE_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    ReserveUse e = new ReserveUse();
    if (e.shouldCommit()) {
      e.pool = pool;
      e.objects = objects;
      e.reserveLevel = levelAfter;
      e.commit();
    }
  }

  /** Records a wait for one pool. */
  public static void poolWait(String pool, long nanos) {
    if (!WAIT_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    Wait e = new Wait();
    if (e.shouldCommit()) {
      e.pool = pool;
      e.waitNanos = nanos;
      e.caller = Callers.first();
      e.commit();
    }
  }

  /** Records a reservation's wait. */
  static void reservationWait(Ticket t, long nanos) {
    if (!RESERVATIONWAIT_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    ReservationWait e = new ReservationWait();
    if (e.shouldCommit()) {
      StringBuilder pools = new StringBuilder();
      int objects = 0;
      for (int i = 0; i < t.pools.length; i++) {
        pools.append(i == 0 ? "" : "+").append(t.pools[i].name());
        objects += t.counts[i];
      }
      e.pools = pools.toString();
      e.objects = objects;
      e.waitNanos = nanos;
      e.caller = Callers.first();
      e.commit();
    }
  }

  /** Records a poison report. */
  public static void debugReport(String pool, long handle, long badOffset) {
    if (!DEBUGREPORT_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    DebugReport e = new DebugReport();
    if (e.shouldCommit()) {
      e.pool = pool;
      e.handle = handle;
      e.badOffset = badOffset;
      e.caller = Callers.first();
      e.commit();
    }
  }
}
