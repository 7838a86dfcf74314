package io.github.slabkit.slab;

import java.io.Serial;

/**
 * A slab debugging report thrown as an exception ({@link SlabDebug#throwOnReport(boolean)}): a write after
 * free, a red-zone overrun or underrun, a double free, a foreign handle or a leak. The message has the fixed
 * form {@code BUG <cache>: <what>} followed by details. The cache is still usable.
 */
public class SlabCorruptionException extends IllegalStateException {
  @Serial private static final long serialVersionUID = 1L;

  private final String cacheName;
  private final long handle;
  private final long badOffset;

  /**
   * Creates the exception.
   *
   * @param cacheName the cache
   * @param handle the object, or 0
   * @param badOffset offset of the first bad byte relative to the object's start, or {@link Long#MIN_VALUE}
   * @param report the full report
   */
  public SlabCorruptionException(String cacheName, long handle, long badOffset, String report) {
    super(report);
    this.cacheName = cacheName;
    this.handle = handle;
    this.badOffset = badOffset;
  }

  /**
   * The cache that reported.
   *
   * @return the cache's name
   */
  public String cacheName() {
    return cacheName;
  }

  /**
   * The object concerned, or 0 when the report is not about one object.
   *
   * @return the handle
   */
  public long handle() {
    return handle;
  }

  /**
   * Offset of the first bad byte relative to the object's first byte (negative: in the left red zone), or
   * {@link Long#MIN_VALUE} when not applicable.
   *
   * @return the offset
   */
  public long badOffset() {
    return badOffset;
  }
}
