package io.github.slabkit.mempool;

/**
 * The JMX view of one mempool, registered by {@link Mempool#registerMBean()} as {@code
 * io.github.slabkit:type=Mempool,name=<name>} (quoted only when the name needs it, see {@link
 * Mempool#registerMBean()}) and unregistered by {@code close()}. Figures are those of
 * {@link MempoolStatistics}.
 */
public interface MempoolMXBean {
  /**
   * The pool's name.
   *
   * @return the name
   */
  String getName();

  /**
   * The reserve's target size.
   *
   * @return minNr
   */
  int getMinNr();

  /**
   * Objects in the reserve now.
   *
   * @return the reserve level
   */
  int getReserveLevel();

  /**
   * Objects handed out and not freed.
   *
   * @return the count
   */
  long getLiveObjects();

  /**
   * Objects that came from the backing allocator.
   *
   * @return the count
   */
  long getBackingHits();

  /**
   * Objects that came from the reserve.
   *
   * @return the count
   */
  long getReserveHits();

  /**
   * Allocations and reservations that had to wait.
   *
   * @return the count
   */
  long getWaits();

  /**
   * Total time waited, in milliseconds.
   *
   * @return milliseconds
   */
  double getTotalWaitMillis();

  /**
   * Longest wait, in milliseconds.
   *
   * @return milliseconds
   */
  double getMaxWaitMillis();

  /**
   * Waiting now.
   *
   * @return the count
   */
  int getWaiting();

  /**
   * {@code tryAllocate} calls that returned 0.
   *
   * @return the count
   */
  long getFailures();
}
