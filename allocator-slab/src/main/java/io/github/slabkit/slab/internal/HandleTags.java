package io.github.slabkit.slab.internal;

import java.util.ArrayDeque;

/**
 * The handle tags of open slab caches: the 16 high bits of every handle, which name the cache it belongs to
 * (see {@link SlabLayer}). A tag is unique among the caches that hold it, so a handle of one cache is never
 * taken for a live handle of another.
 *
 * <p>Fresh tags are handed out first, in order; a tag given back by a closed cache waits in a FIFO queue and
 * is reused only when no fresh tag is left, oldest first, so a stale handle of a closed cache is as unlikely
 * as possible to name an object of a newer one. When every tag is held, {@link #acquire} throws: that many
 * open caches is a leak of caches, not a workload.
 *
 * <p>Thread safe: every method holds this object's monitor (cache creation and close are rare).
 */
public final class HandleTags {
  /** Tags are 16 bits and never 0 (so no handle is 0): 1 to 65,535. */
  public static final int MAX_TAGS = 0xffff;

  private static final HandleTags GLOBAL = new HandleTags(MAX_TAGS);

  private final int capacity;
  private int nextFresh = 1;
  private final ArrayDeque<Integer> released = new ArrayDeque<>();

  /**
   * Creates a tag space of tags {@code 1..capacity}; the global one is {@link #global()}.
   *
   * @param capacity the number of tags, 1 to {@link #MAX_TAGS}
   */
  public HandleTags(int capacity) {
    if (capacity < 1 || capacity > MAX_TAGS) {
      throw new IllegalArgumentException("tag capacity must be 1 to " + MAX_TAGS + ", was " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * Returns the tag space every slab cache of this JVM draws from.
   *
   * @return the global tags
   */
  public static HandleTags global() {
    return GLOBAL;
  }

  /**
   * Takes a tag no open cache holds.
   *
   * @param cacheName the cache that wants it, for the message
   * @return the tag
   * @throws IllegalStateException if every tag is held by an open cache
   */
  public synchronized int acquire(String cacheName) {
    if (nextFresh <= capacity) {
      return nextFresh++;
    }
    Integer reused = released.poll();
    if (reused != null) {
      return reused;
    }
    throw new IllegalStateException(
        "slab cache '"
            + cacheName
            + "': "
            + capacity
            + " slab caches are open, the most handles can tell apart; close caches you no longer use"
            + " (a cache closed with leaked objects keeps its tag) before building more");
  }

  /**
   * Gives a tag back for reuse after every fresh one and every tag released before it.
   *
   * @param tag a tag from {@link #acquire}, released once
   */
  public synchronized void release(int tag) {
    released.add(tag);
  }

  /**
   * Returns how many tags are held now.
   *
   * @return the count
   */
  public synchronized int held() {
    return nextFresh - 1 - released.size();
  }
}
