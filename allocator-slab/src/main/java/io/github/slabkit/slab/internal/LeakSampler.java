package io.github.slabkit.slab.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sampled leak detection, in the spirit of Netty's {@code ResourceLeakDetector}: about one allocation in
 * {@code interval} records its allocation site; the record is dropped when the object is freed, so what is
 * left are the sampled objects still live. They are reported when they outlive an age (checked by a daemon
 * timer) and when their cache closes.
 *
 * <h2>Cost</h2>
 * The fast path pays one compare of the allocation counter it keeps anyway against the count at which the
 * thread's next sample is due ({@link ThreadCache#sampleDue()}: no store, no shared write) and, on free,
 * one compare of the side-table mark it reads
 * anyway ({@link SlabLayer#disown}: a sampled object's mark is {@link SlabLayer#SAMPLED} instead of
 * {@link SlabLayer#OWNED}). Only a sampled allocation walks the stack and allocates. Intervals are drawn at
 * random around {@code interval} so a periodic allocation pattern cannot always dodge, or always hit, the
 * sample.
 *
 * <h2>Thread safety</h2>
 * The records live in a concurrent map keyed by handle. A record is put by the allocating thread after it
 * marked the object, and removed by the freeing thread before the object goes back to a magazine, so the
 * object's own hand-offs order the put before the remove.
 */
public final class LeakSampler {
  /** Frames kept per site: enough to see past a few layers of the caller's own helpers. */
  static final int MAX_FRAMES = 16;

  /**
   * The frames dropped from the top of a site, so that it starts at the caller of the cache: this package
   * and the API classes that allocate through it (named, not matched by package prefix, so that a caller's
   * class that happens to share the package is kept).
   */
  private static final String INTERNAL_PACKAGE = "io.github.slabkit.slab.internal.";

  private static final Set<String> API_CLASSES =
      Set.of(
          "io.github.slabkit.slab.SlabCache", "io.github.slabkit.slab.SlabLocal", "io.github.slabkit.slab.Sheaf");

  private static boolean ours(StackWalker.StackFrame f) {
    String c = f.getClassName();
    return c.startsWith(INTERNAL_PACKAGE) || API_CLASSES.contains(c);
  }

  private static final StackWalker WALKER = StackWalker.getInstance();

  private final int interval;
  private final long ageNanos;
  private final Map<Long, Site> live = new ConcurrentHashMap<>();
  private final AtomicLong sampled = new AtomicLong();
  private final AtomicLong reportedByAge = new AtomicLong();

  /**
   * A sampled object still live: where and when it was allocated.
   *
   * @param handle the object
   * @param allocatedNanos {@link System#nanoTime()} at the allocation
   * @param thread the allocating thread's name
   * @param stack the allocation site as the walker saw it, the caller of the cache first. Kept as stack
   *     frames: turning them into {@link StackTraceElement}s (class, method, file and line) is most of a
   *     sample's cost, and only a reported object needs it ({@link #frames()})
   */
  public record Site(long handle, long allocatedNanos, String thread, List<StackWalker.StackFrame> stack) {
    /**
     * The allocation site, resolved now.
     *
     * @return the frames, the caller of the cache first
     */
    public List<StackTraceElement> frames() {
      List<StackTraceElement> out = new ArrayList<>(stack.size());
      for (StackWalker.StackFrame f : stack) {
        out.add(f.toStackTraceElement());
      }
      return out;
    }

    /**
     * The site as indented {@code at} lines.
     *
     * @return the lines, each ending with a newline
     */
    public String framesText() {
      StringBuilder sb = new StringBuilder();
      for (StackTraceElement f : frames()) {
        sb.append("    at ").append(f).append('\n');
      }
      return sb.toString();
    }
  }

  /**
   * @param interval sample about one allocation in this many; 0 turns sampling off
   * @param ageNanos report a sampled object once it is this old; {@link Long#MAX_VALUE} reports only at close
   */
  public LeakSampler(int interval, long ageNanos) {
    this.interval = interval;
    this.ageNanos = ageNanos;
  }

  /**
   * Returns whether sampling is on.
   *
   * @return {@code interval > 0}
   */
  public boolean enabled() {
    return interval > 0;
  }

  /**
   * The sampling interval.
   *
   * @return allocations per sample on average, 0 when off
   */
  public int interval() {
    return interval;
  }

  /**
   * The report age.
   *
   * @return nanoseconds, {@link Long#MAX_VALUE} when only close reports
   */
  public long ageNanos() {
    return ageNanos;
  }

  /**
   * The countdown to a thread's next sample: uniform in {@code [1, 2 * interval - 1]} (mean {@code
   * interval}), or {@link Integer#MAX_VALUE} when off (the countdown then never reaches zero in practice,
   * and if it does the sample is a no-op that rearms it).
   *
   * @return allocations until the next sample
   */
  public int nextCountdown() {
    if (interval <= 0) {
      return Integer.MAX_VALUE;
    }
    return interval == 1 ? 1 : ThreadLocalRandom.current().nextInt(1, 2 * interval);
  }

  /**
   * Records the allocation site of {@code handle}, allocated by the calling thread.
   *
   * @param handle the object, already marked sampled
   */
  void record(long handle) {
    List<StackWalker.StackFrame> frames =
        WALKER.walk(s -> s.dropWhile(LeakSampler::ours).limit(MAX_FRAMES).toList());
    live.put(handle, new Site(handle, System.nanoTime(), Thread.currentThread().getName(), frames));
    sampled.incrementAndGet();
  }

  /**
   * Forgets a sampled object being freed.
   *
   * @param handle the object
   */
  void forget(long handle) {
    live.remove(handle);
  }

  /**
   * The sampled objects live now, oldest first.
   *
   * @return the sites
   */
  public List<Site> live() {
    List<Site> all = new ArrayList<>(live.values());
    all.sort((a, b) -> Long.compare(a.allocatedNanos(), b.allocatedNanos()));
    return all;
  }

  /**
   * Removes and returns the live sampled objects at least {@link #ageNanos()} old: each is reported once.
   *
   * @param now {@link System#nanoTime()}
   * @return the objects to report, oldest first
   */
  public List<Site> takeAged(long now) {
    List<Site> aged = new ArrayList<>();
    for (Site s : new ArrayList<>(live.values())) {
      if (now - s.allocatedNanos() >= ageNanos && live.remove(s.handle(), s)) {
        aged.add(s);
      }
    }
    aged.sort((a, b) -> Long.compare(a.allocatedNanos(), b.allocatedNanos()));
    reportedByAge.addAndGet(aged.size());
    return aged;
  }

  /**
   * How many allocations were sampled so far.
   *
   * @return the count
   */
  public long sampledCount() {
    return sampled.get();
  }

  /**
   * How many sampled objects were reported for their age.
   *
   * @return the count
   */
  public long reportedByAge() {
    return reportedByAge.get();
  }
}
