package io.github.slabkit.mempool.internal;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolMXBean;
import io.github.slabkit.mempool.MempoolStatistics;

/** The MXBean implementation: every getter reads a fresh statistics snapshot. */
public final class MempoolMBean implements MempoolMXBean {
  private final Mempool pool;

  public MempoolMBean(Mempool pool) {
    this.pool = pool;
  }

  private MempoolStatistics s() {
    return pool.mempoolStatistics();
  }

  @Override
  public String getName() {
    return pool.name();
  }

  @Override
  public int getMinNr() {
    return pool.minNr();
  }

  @Override
  public int getReserveLevel() {
    return pool.reserveLevel();
  }

  @Override
  public long getLiveObjects() {
    return s().liveObjects();
  }

  @Override
  public long getBackingHits() {
    return s().backingHits();
  }

  @Override
  public long getReserveHits() {
    return s().reserveHits();
  }

  @Override
  public long getWaits() {
    return s().waits();
  }

  @Override
  public double getTotalWaitMillis() {
    return s().totalWaitNanos() / 1e6;
  }

  @Override
  public double getMaxWaitMillis() {
    return s().maxWaitNanos() / 1e6;
  }

  @Override
  public int getWaiting() {
    return s().waiting();
  }

  @Override
  public long getFailures() {
    return s().failures();
  }
}
