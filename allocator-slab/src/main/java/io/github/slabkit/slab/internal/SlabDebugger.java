package io.github.slabkit.slab.internal;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.slab.SlabCorruptionException;
import io.github.slabkit.slab.SlabDebug;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The debug paths of a slab cache (SLUB's {@code slab_debug}): every allocation and free goes straight to the
 * slab layer, so its free bitmap knows the exact state of every object, and the checks chosen in {@link
 * SlabDebug} run around it. Guarded by this object's monitor; the slab layer's lock is taken inside.
 */
public final class SlabDebugger {
  /** SLUB's poison bytes: free object, end of free object. */
  public static final byte POISON_FREE = 0x6b;

  public static final byte POISON_END = (byte) 0xa5;
  /** SLUB's red-zone bytes: object free, object allocated. */
  public static final byte RED_INACTIVE = (byte) 0xbb;

  public static final byte RED_ACTIVE = (byte) 0xcc;

  private static final System.Logger LOG = System.getLogger("io.github.slabkit.slab");
  private static final StackWalker WALKER = StackWalker.getInstance();
  private static final int TRACK_DEPTH = 12;

  private final String name;
  private final SlabLayer layer;
  private final SlabDebug options;
  private final boolean poison;
  private final long objectSize;
  private final long left;
  private final long right;
  private final Map<Long, String> allocSites = new HashMap<>();
  private final Map<Long, String> freeSites = new HashMap<>();
  /** Objects {@linkplain #stash stashed}: allocated in their slab, not the user's (guarded by this). */
  private final Set<Long> stashed = new HashSet<>();
  private final AtomicLong reports = new AtomicLong();
  private long allocations;

  public SlabDebugger(String name, SlabLayer layer, SlabDebug options, boolean hasConstructor) {
    this.name = name;
    this.layer = layer;
    this.options = options;
    this.poison = options.poisoning() && !hasConstructor;
    this.objectSize = layer.objectSize;
    this.left = layer.objectOffset;
    this.right = layer.stride - layer.objectOffset - layer.objectSize;
  }

  /** Left red-zone bytes for an object of the given alignment, when red zones are on. */
  public static long leftRedZone(SlabDebug options, long alignment) {
    return options.redZones() ? Math.max(8, alignment) : 0;
  }

  /** Minimum right red-zone bytes, when red zones are on. */
  public static long rightRedZone(SlabDebug options) {
    return options.redZones() ? 8 : 0;
  }

  public long reports() {
    return reports.get();
  }

  /** Poisons and red-zones the objects of a new slab; runs before the slab is published. */
  void initSlab(MemorySegment segment, int objects) {
    for (int i = 0; i < objects; i++) {
      long base = i * layer.stride;
      if (left + right > 0) {
        segment.asSlice(base, left).fill(RED_INACTIVE);
        segment.asSlice(base + left + objectSize, right).fill(RED_INACTIVE);
      }
      if (poison) {
        poisonObject(segment, base + left);
      }
    }
  }

  private void poisonObject(MemorySegment seg, long off) {
    seg.asSlice(off, objectSize - 1).fill(POISON_FREE);
    seg.set(ValueLayout.JAVA_BYTE, off + objectSize - 1, POISON_END);
  }

  // ---------------------------------------------------------------- allocation

  /**
   * Takes one object from the slab layer and checks it; 0 if none could be had. If a check throws its
   * report ({@link SlabDebug#throwsOnReport()}), the object is repaired (poison and red zones rewritten) and
   * goes back to its slab before the exception propagates, so the report loses no object.
   */
  public long allocate(int mode, long timeoutNanos) throws InterruptedException {
    long[] one = new long[1];
    if (layer.take(one, 0, 1, true, mode, timeoutNanos) == 0) {
      return 0;
    }
    long h = one[0];
    synchronized (this) {
      try {
        afterTake(h);
      } catch (SlabCorruptionException e) {
        MemorySegment seg = layer.memoryOf(h);
        long off = layer.offsetOf(h);
        markFree(seg, off);
        layer.giveBack(one, 1);
        throw e;
      }
    }
    return h;
  }

  /** Writes the free object's guards: inactive red zones and, when poisoning, the poison. */
  private void markFree(MemorySegment seg, long off) {
    if (left + right > 0) {
      seg.asSlice(off - left, left).fill(RED_INACTIVE);
      seg.asSlice(off + objectSize, right).fill(RED_INACTIVE);
    }
    if (poison) {
      poisonObject(seg, off);
    }
  }

  /** Checks of an object leaving the slab layer (write after free, red zones), then tracks it. */
  private void afterTake(long h) {
    MemorySegment seg = layer.memoryOf(h);
    long off = layer.offsetOf(h);
    if (poison) {
      long bad = firstPoisonMismatch(seg, off);
      if (bad >= 0) {
        report(
            h,
            bad,
            "Poison overwritten (write after free)",
            "first bad byte at offset +" + bad + " of the object: found " + hex(seg.get(ValueLayout.JAVA_BYTE, off + bad))
                + ", expected " + hex(bad == objectSize - 1 ? POISON_END : POISON_FREE),
            freeSites.get(h));
      }
    }
    if (left + right > 0) {
      checkRedZones(h, seg, off, RED_INACTIVE, "free");
      seg.asSlice(off - left, left).fill(RED_ACTIVE);
      seg.asSlice(off + objectSize, right).fill(RED_ACTIVE);
    }
    freeSites.remove(h);
    if (options.tracking() && allocations++ % options.trackInterval() == 0) {
      allocSites.put(h, capture());
    }
  }

  private long firstPoisonMismatch(MemorySegment seg, long off) {
    for (long i = 0; i < objectSize - 1; i++) {
      if (seg.get(ValueLayout.JAVA_BYTE, off + i) != POISON_FREE) {
        return i;
      }
    }
    return seg.get(ValueLayout.JAVA_BYTE, off + objectSize - 1) == POISON_END ? -1 : objectSize - 1;
  }

  // ---------------------------------------------------------------- free

  /**
   * Checks and frees one object. Foreign handles and double frees are reported and refused with {@link
   * InvalidHandleException} (the object is not freed again).
   */
  public void free(long h) {
    synchronized (this) {
      refuseUnlessAllocated(h);
      MemorySegment seg = layer.memoryOf(h);
      long off = layer.offsetOf(h);
      if (left + right > 0) {
        // a report thrown here leaves the object allocated, its zone repaired: the caller may free it again
        checkRedZones(h, seg, off, RED_ACTIVE, "allocated");
      }
      markFree(seg, off);
      allocSites.remove(h);
      if (options.tracking()) {
        freeSites.put(h, capture());
      }
      long[] one = {h};
      layer.giveBack(one, 1);
    }
  }

  /**
   * Marks an allocated object stashed by an allocator on top (a mempool's reserve keeps it): it stays
   * allocated in its slab, but a later {@link #free} or {@code stash} is a double free until {@link
   * #unstash}. Debug mode keeps no ownership side table, so without this mark a second free into a mempool's
   * reserve passed (the object was still allocated in its slab), sat in the reserve twice and went to two
   * callers. Reports and refuses a foreign handle or a free or stashed object as {@code free} does.
   */
  public void stash(long h) {
    synchronized (this) {
      refuseUnlessAllocated(h);
      stashed.add(h);
    }
  }

  /**
   * Whether the handle names an object of this cache that is allocated in its slab and not stashed: what
   * {@link #free} would accept. Read-only; reports nothing.
   */
  public boolean isAllocated(long h) {
    synchronized (this) {
      return layer.whyInvalid(h) == null && !layer.isFreeInSlab(h) && !stashed.contains(h);
    }
  }

  /** Undoes {@link #stash}: the object is the user's again. */
  public void unstash(long h) {
    synchronized (this) {
      stashed.remove(h);
    }
  }

  private void refuseUnlessAllocated(long h) {
    String why = layer.whyInvalid(h);
    if (why != null) {
      String r =
          report(h, Long.MIN_VALUE, "invalid free", "handle 0x" + Long.toHexString(h) + " " + why, null, false);
      throw new InvalidHandleException(name, h, why + " [" + firstLine(r) + "]");
    }
    if (layer.isFreeInSlab(h) || stashed.contains(h)) {
      String r = report(h, Long.MIN_VALUE, "double free", "the object is already free", freeSites.get(h), false);
      throw new InvalidHandleException(
          name, h, "was freed twice (double free); it is already free and was not freed again\n" + r);
    }
  }

  private void checkRedZones(long h, MemorySegment seg, long off, byte expect, String state) {
    for (long i = 1; i <= left; i++) {
      byte b = seg.get(ValueLayout.JAVA_BYTE, off - i);
      if (b != expect) {
        long first = -left;
        while (seg.get(ValueLayout.JAVA_BYTE, off + first) == expect) {
          first++;
        }
        byte found = seg.get(ValueLayout.JAVA_BYTE, off + first);
        seg.asSlice(off - left, left).fill(expect);
        report(
            h,
            first,
            "Left Redzone overwritten (underrun)",
            "first bad byte at offset " + first + " before the object (" + state + "): found "
                + hex(found) + ", expected " + hex(expect),
            allocSites.get(h));
        break;
      }
    }
    for (long i = 0; i < right; i++) {
      byte b = seg.get(ValueLayout.JAVA_BYTE, off + objectSize + i);
      if (b != expect) {
        seg.asSlice(off + objectSize, right).fill(expect);
        report(
            h,
            objectSize + i,
            "Right Redzone overwritten (overrun)",
            "first bad byte at offset +" + (objectSize + i) + " (" + i + " past the end of the "
                + objectSize + "-byte object, " + state + "): found " + hex(b) + ", expected " + hex(expect),
            allocSites.get(h));
        break;
      }
    }
  }

  // ---------------------------------------------------------------- reports and leaks

  private String report(long h, long badOffset, String what, String detail, @Nullable String site) {
    return report(h, badOffset, what, detail, site, true);
  }

  /**
   * Logs a report; throws it as {@link SlabCorruptionException} when so configured and {@code mayThrow}
   * (handle errors are thrown as {@link InvalidHandleException} by the caller instead, as the API promises).
   */
  private String report(
      long h, long badOffset, String what, String detail, @Nullable String site, boolean mayThrow) {
    StringBuilder sb = new StringBuilder();
    sb.append("BUG ").append(name).append(": ").append(what).append('\n');
    if (h != 0) {
      sb.append("  object 0x").append(Long.toHexString(h)).append(" (").append(objectSize).append(" bytes)\n");
    }
    sb.append("  ").append(detail).append('\n');
    if (site != null) {
      sb.append("  last seen at:\n").append(site);
    } else if (!options.tracking()) {
      sb.append("  (enable tracking, slab debug flag U, to see where it was allocated and freed)\n");
    }
    String text = sb.toString();
    reports.incrementAndGet();
    LOG.log(System.Logger.Level.ERROR, text);
    SlabEvents.debugReport(name, what, h, badOffset);
    if (mayThrow && options.throwsOnReport()) {
      throw new SlabCorruptionException(name, h, badOffset, text);
    }
    return text;
  }

  /** Groups the tracked live objects by allocation site, most frequent first. */
  public synchronized String leakSites() {
    if (allocSites.isEmpty()) {
      return options.tracking()
          ? "  (no tracked allocation is live)\n"
          : "  (enable tracking, slab debug flag U, to see allocation sites)\n";
    }
    Map<String, Long> bySite =
        allocSites.values().stream().collect(Collectors.groupingBy(s -> s, LinkedHashMap::new, Collectors.counting()));
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(bySite.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Long> e : sorted) {
      sb.append("  ").append(e.getValue()).append(" object(s) allocated at:\n").append(e.getKey());
    }
    return sb.toString();
  }

  public synchronized int trackedLive() {
    return allocSites.size();
  }

  private static String capture() {
    return WALKER.walk(
        frames ->
            frames
                .filter(f -> !isLibraryFrame(f.getClassName()))
                .limit(TRACK_DEPTH)
                .map(f -> "    at " + f.toStackTraceElement() + "\n")
                .collect(Collectors.joining()));
  }

  private static boolean isLibraryFrame(String cls) {
    return cls.startsWith("io.github.slabkit.slab.internal.")
        || cls.startsWith("io.github.slabkit.slab.SlabCache")
        || cls.equals("io.github.slabkit.slab.Sheaf");
  }

  private static String hex(byte b) {
    return String.format("0x%02x", b & 0xff);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
