package io.github.slabkit.jcstress;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * A pool of test fixtures shared by the states of one test.
 *
 * <p>jcstress creates a {@code @State} object for every sample, millions per run. A fixture that owns a
 * {@code SlabCache} cannot be created that often: each cache costs about 24 KiB of heap, and each of its
 * slabs is a shared arena that the garbage collector never frees and whose {@code close()} is a handshake
 * with every thread. So a state takes a fixture from here in its constructor, and its arbiter puts the
 * fixture back after restoring the fixture's starting position (which objects are free, and where). The
 * arbiter runs after both actors of that state, and a state never shares its fixture with another live
 * state, so each sample still starts from the same position. The queue gives the happens-before edge
 * between the arbiter that returns a fixture (on one jcstress thread) and the constructor that reuses it
 * (possibly on another).
 *
 * @param <T> the fixture type
 */
public final class Recycler<T> {
  private final ConcurrentLinkedQueue<T> pool = new ConcurrentLinkedQueue<>();
  private final Supplier<T> factory;

  /**
   * Creates an empty pool.
   *
   * @param factory creates a fixture in its starting position when the pool is empty
   */
  public Recycler(Supplier<T> factory) {
    this.factory = factory;
  }

  /**
   * Returns a fixture in its starting position.
   *
   * @return a pooled or new fixture
   */
  public T take() {
    T t = pool.poll();
    return t != null ? t : factory.get();
  }

  /**
   * Returns a fixture whose starting position was restored. A fixture that could not be restored is simply
   * not returned (and leaks its few bytes of off-heap memory), so one odd sample cannot poison later ones.
   *
   * @param t the fixture
   */
  public void recycle(T t) {
    pool.offer(t);
  }
}
