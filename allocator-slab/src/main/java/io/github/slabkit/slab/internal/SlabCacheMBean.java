package io.github.slabkit.slab.internal;

import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheMXBean;
import io.github.slabkit.slab.SlabInfo;
import io.github.slabkit.slab.SlabStatistics;
import java.util.List;

/** The MXBean implementation: every getter reads a fresh {@link SlabStatistics} snapshot. */
public final class SlabCacheMBean implements SlabCacheMXBean {
  private final SlabCache cache;

  public SlabCacheMBean(SlabCache cache) {
    this.cache = cache;
  }

  private SlabStatistics s() {
    return cache.slabStatistics();
  }

  @Override
  public String getName() {
    return cache.name();
  }

  @Override
  public long getObjectSize() {
    return cache.objectSize();
  }

  @Override
  public long getActiveObjects() {
    return s().activeObjects();
  }

  @Override
  public long getCachedObjects() {
    return s().cachedObjects();
  }

  @Override
  public long getTotalObjects() {
    return s().totalObjects();
  }

  @Override
  public long getSlabs() {
    return s().totalSlabs();
  }

  @Override
  public long getBytesInUse() {
    return s().bytesInUse();
  }

  @Override
  public long getBytesCached() {
    return s().bytesCached();
  }

  @Override
  public long getBytesInEmptySlabs() {
    return s().bytesInEmptySlabs();
  }

  @Override
  public long getBytesCharged() {
    return s().bytesCharged();
  }

  @Override
  public long getAllocations() {
    return s().allocations();
  }

  @Override
  public long getFrees() {
    return s().frees();
  }

  @Override
  public long getFailures() {
    return s().failures();
  }

  @Override
  public long getDebugReports() {
    return cache.debugReports();
  }

  @Override
  public String getSlabInfo() {
    String[] lines = SlabInfo.render(List.of(cache)).split("\n", -1);
    return lines[2];
  }

  @Override
  public long trim() {
    return cache.trim();
  }
}
