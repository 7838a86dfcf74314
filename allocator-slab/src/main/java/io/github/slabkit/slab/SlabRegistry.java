package io.github.slabkit.slab;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The set of open slab caches that a {@code /proc/slabinfo}-style table lists. Caches join the {@link
 * #global()} registry when built (or the one given to {@link SlabCacheBuilder#registry(SlabRegistry)}) and
 * leave it when closed. Thread safe.
 */
public final class SlabRegistry {
  private static final SlabRegistry GLOBAL = new SlabRegistry();

  private final CopyOnWriteArrayList<SlabCache> caches = new CopyOnWriteArrayList<>();

  /** Creates an empty registry, for a subsystem that wants its own table. */
  public SlabRegistry() {}

  /**
   * Returns the registry caches join by default.
   *
   * @return the global registry
   */
  public static SlabRegistry global() {
    return GLOBAL;
  }

  void add(SlabCache cache) {
    caches.add(cache);
  }

  void remove(SlabCache cache) {
    caches.remove(cache);
  }

  /**
   * Returns the open caches, in creation order.
   *
   * @return a snapshot list
   */
  public List<SlabCache> caches() {
    return new ArrayList<>(caches);
  }

  /**
   * Renders every open cache as {@link SlabInfo#render} does.
   *
   * @return the slabinfo text
   */
  public String slabInfo() {
    return SlabInfo.render(caches);
  }
}
