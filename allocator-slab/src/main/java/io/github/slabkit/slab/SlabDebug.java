package io.github.slabkit.slab;

import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Debugging options of a slab cache, after the kernel's {@code slab_debug=FZPU}:
 *
 * <ul>
 *   <li>{@code F} consistency checks: exact double-free and foreign-handle detection (every allocation and
 *       free goes through the slab lists; the per-thread magazines are bypassed, as SLUB bypasses its fast
 *       path when debugging);
 *   <li>{@code Z} red zones: guard bytes around each object, {@code 0xbb} while free and {@code 0xcc} while
 *       allocated, checked on free and on allocation (overruns and underruns);
 *   <li>{@code P} poisoning: free objects are filled with {@code 0x6b} and a final {@code 0xa5}, checked on
 *       allocation (writes after free); ignored for caches with a constructor, whose free objects must keep
 *       their constructed state (as in SLUB);
 *   <li>{@code U} user tracking: the stack of the allocating and the freeing call per object, for every
 *       allocation or one in {@link #trackEvery(int) n}; leak reports then group live objects by allocation
 *       site.
 * </ul>
 *
 * <p>Every finding is reported in a fixed form, {@code BUG <cache>: <what>} followed by details, through
 * {@link System.Logger} (logger {@code io.github.slabkit.slab}); with {@link #throwOnReport(boolean)} it is
 * also thrown as {@link SlabCorruptionException}, which is what tests want. Either way the cache stays usable:
 * the damaged guard bytes are repaired and nothing is freed twice.
 *
 * <p>Debugging is off by default and then costs one predictable branch per operation. It can be turned on
 * without a rebuild with the system property {@code slabkit.slab_debug}: {@code -Dslabkit.slab_debug=FZPU}
 * for every cache, or {@code -Dslabkit.slab_debug=FZPU,cacheA,cacheB} for the named ones; an explicit
 * {@link SlabCacheBuilder#debug(SlabDebug)} wins over the property.
 *
 * <p>Immutable and thread safe.
 */
public final class SlabDebug {
  /** The system property read by {@link #fromSystemProperty(String)}. */
  public static final String PROPERTY = "slabkit.slab_debug";

  private static final SlabDebug OFF = new SlabDebug(false, false, false, false, 1, false);

  private final boolean consistency;
  private final boolean redZone;
  private final boolean poison;
  private final boolean track;
  private final int trackEvery;
  private final boolean throwOnReport;

  private SlabDebug(
      boolean consistency,
      boolean redZone,
      boolean poison,
      boolean track,
      int trackEvery,
      boolean throwOnReport) {
    this.consistency = consistency;
    this.redZone = redZone;
    this.poison = poison;
    this.track = track;
    this.trackEvery = trackEvery;
    this.throwOnReport = throwOnReport;
  }

  /**
   * Returns the options with every check off.
   *
   * @return debugging off
   */
  public static SlabDebug off() {
    return OFF;
  }

  /**
   * Parses kernel-style flags: any of {@code F Z P U} (case-insensitive); {@code "-"} or empty means off.
   *
   * @param flags the flags, e.g. {@code "FZPU"}
   * @return the options
   * @throws IllegalArgumentException naming the unknown flag
   */
  public static SlabDebug of(String flags) {
    Objects.requireNonNull(flags, "flags");
    boolean f = false;
    boolean z = false;
    boolean p = false;
    boolean u = false;
    for (char c : flags.toUpperCase(Locale.ROOT).toCharArray()) {
      switch (c) {
        case 'F' -> f = true;
        case 'Z' -> z = true;
        case 'P' -> p = true;
        case 'U' -> u = true;
        case '-', ' ' -> {}
        default ->
            throw new IllegalArgumentException(
                "unknown slab debug flag '" + c + "' in \"" + flags + "\"; use any of F, Z, P, U");
      }
    }
    return new SlabDebug(f, z, p, u, 1, false);
  }

  /**
   * Returns the options the system property {@value #PROPERTY} asks for the named cache, or {@code null} if
   * it names other caches or is not set.
   *
   * @param cacheName the cache's name
   * @return the options, or null
   */
  public static @Nullable SlabDebug fromSystemProperty(String cacheName) {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) {
      return null;
    }
    String[] parts = v.split(",", -1);
    if (parts.length > 1) {
      boolean named = false;
      for (int i = 1; i < parts.length; i++) {
        named |= parts[i].trim().equals(cacheName);
      }
      if (!named) {
        return null;
      }
    }
    return of(parts[0].trim());
  }

  /**
   * Returns these options with allocation tracking sampling one allocation in {@code n}.
   *
   * @param n 1 tracks every allocation
   * @return new options
   */
  public SlabDebug trackEvery(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("trackEvery must be at least 1, was " + n);
    }
    return new SlabDebug(consistency, redZone, poison, true, n, throwOnReport);
  }

  /**
   * Returns these options with reports also thrown as {@link SlabCorruptionException}.
   *
   * @param on whether to throw
   * @return new options
   */
  public SlabDebug throwOnReport(boolean on) {
    return new SlabDebug(consistency, redZone, poison, track, trackEvery, on);
  }

  /**
   * Whether any check is on.
   *
   * @return true if debugging is on
   */
  public boolean enabled() {
    return consistency || redZone || poison || track;
  }

  /**
   * Whether consistency checks (F) are on.
   *
   * @return the flag
   */
  public boolean consistencyChecks() {
    return consistency;
  }

  /**
   * Whether red zones (Z) are on.
   *
   * @return the flag
   */
  public boolean redZones() {
    return redZone;
  }

  /**
   * Whether poisoning (P) is on.
   *
   * @return the flag
   */
  public boolean poisoning() {
    return poison;
  }

  /**
   * Whether allocation tracking (U) is on.
   *
   * @return the flag
   */
  public boolean tracking() {
    return track;
  }

  /**
   * The tracking sample interval.
   *
   * @return track one allocation in this many
   */
  public int trackInterval() {
    return trackEvery;
  }

  /**
   * Whether reports are thrown.
   *
   * @return the flag
   */
  public boolean throwsOnReport() {
    return throwOnReport;
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "-";
    }
    return (consistency ? "F" : "")
        + (redZone ? "Z" : "")
        + (poison ? "P" : "")
        + (track ? "U" : "")
        + (trackEvery > 1 ? "/" + trackEvery : "");
  }
}
