package io.github.slabkit.slab.internal;

import io.github.slabkit.allocator.internal.Callers;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR events of the slab cache. Each is committed only when a recording enables it ({@code shouldCommit()}),
 * so with no recording the cost is one check on a slow path; none is on the allocation fast path.
 */
public final class SlabEvents {
  // One never-committed instance per event type, to ask isEnabled() (a per-class setting) before creating
  // an event: without a recording that enables it, nothing is allocated, even before the JIT could
  // eliminate the allocation.
  private static final Grow GROW_PROBE = new Grow();
  private static final Release RELEASE_PROBE = new Release();
  private static final Failure FAILURE_PROBE = new Failure();
  private static final DebugReport DEBUGREPORT_PROBE = new DebugReport();
  private static final LeakSuspect LEAK_PROBE = new LeakSuspect();

  private SlabEvents() {}

  /** A slab was created (charged to the budget). */
  @Name("io.github.slabkit.SlabGrow")
  @Label("Slab Grow")
  @Category({"Slabkit", "Slab"})
  @Description("A slab cache took a new slab from the operating system")
  @StackTrace(false)
  static final class Grow extends Event {
    @Label("Cache") String cache = "";
    @Label("Slab Bytes") long slabBytes;
    @Label("Objects Per Slab") int objects;
  }

  /** A slab was released (credited to the budget). */
  @Name("io.github.slabkit.SlabRelease")
  @Label("Slab Release")
  @Category({"Slabkit", "Slab"})
  @Description("A slab cache returned an empty slab to the operating system")
  @StackTrace(false)
  static final class Release extends Event {
    @Label("Cache") String cache = "";
    @Label("Slab Bytes") long slabBytes;
  }

  /** An allocation failed for lack of memory. */
  @Name("io.github.slabkit.AllocationFailure")
  @Label("Allocation Failure")
  @Category({"Slabkit", "Slab"})
  @Description("An allocation returned 0 or threw because the memory budget was exhausted")
  static final class Failure extends Event {
    @Label("Caller")
    @Description(
        "The first frame outside Slabkit: the application's call (the event's stack starts inside the"
            + " library)")
    String caller = "";
    @Label("Cache") String cache = "";
    @Label("Mode") String mode = "";
    @Label("Budget Used") long budgetUsed;
    @Label("Budget Limit") long budgetLimit;
  }

  /** A debug report (BUG ...). */
  @Name("io.github.slabkit.SlabDebugReport")
  @Label("Slab Debug Report")
  @Category({"Slabkit", "Slab"})
  @Description("Slab debugging found corruption, a double free, a foreign handle or a leak")
  static final class DebugReport extends Event {
    @Label("Caller")
    @Description(
        "The first frame outside Slabkit: the application's call (the event's stack starts inside the"
            + " library)")
    String caller = "";
    @Label("Cache") String cache = "";
    @Label("What") String what = "";
    @Label("Handle") long handle;
    @Label("Bad Offset") long badOffset;
  }

  static void grow(String cache, long slabBytes, int objects) {
    if (!GROW_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    Grow e = new Grow();
    if (e.shouldCommit()) {
      e.cache = cache;
      e.slabBytes = slabBytes;
      e.objects = objects;
      e.commit();
    }
  }

  static void release(String cache, long slabBytes) {
    if (!RELEASE_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    Release e = new Release();
    if (e.shouldCommit()) {
      e.cache = cache;
      e.slabBytes = slabBytes;
      e.commit();
    }
  }

  /** Records a failed allocation. */
  public static void failure(String cache, String mode, long used, long limit) {
    if (!FAILURE_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    Failure e = new Failure();
    if (e.shouldCommit()) {
      e.cache = cache;
      e.mode = mode;
      e.budgetUsed = used;
      e.budgetLimit = limit;
      e.caller = Callers.first();
      e.commit();
    }
  }

  @Name("io.github.slabkit.LeakSuspect")
  @Label("Leak Suspect")
  @Category({"Slabkit", "Slab"})
  @Description(
      "A live object whose allocation the leak detector sampled: reported once it outlived the cache's"
          + " leakAge, or at close(). The allocation site is a field; the event's own stack trace would be the"
          + " reporter's")
  @StackTrace(false)
  static final class LeakSuspect extends Event {
    @Label("Cache") String cache = "";
    @Label("Handle") long handle;
    @Label("Age") @Timespan long age;
    @Label("Allocating Thread") String thread = "";
    @Label("Allocation Site") String site = "";
    @Label("Reason") @Description("age or close") String reason = "";
  }

  /** Records a sampled live object reported for its age or at close. */
  public static void leakSuspect(String cache, LeakSampler.Site s, long now, String reason) {
    if (!LEAK_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    LeakSuspect e = new LeakSuspect();
    if (e.shouldCommit()) {
      e.cache = cache;
      e.handle = s.handle();
      e.age = now - s.allocatedNanos();
      e.thread = s.thread();
      e.site = s.framesText();
      e.reason = reason;
      e.commit();
    }
  }

  static void debugReport(String cache, String what, long handle, long badOffset) {
    if (!DEBUGREPORT_PROBE.isEnabled()) {
      return; // no recording wants it: allocate nothing
    }
    DebugReport e = new DebugReport();
    if (e.shouldCommit()) {
      e.cache = cache;
      e.what = what;
      e.handle = handle;
      e.badOffset = badOffset;
      e.caller = Callers.first();
      e.commit();
    }
  }
}
