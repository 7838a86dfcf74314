package io.github.slabkit.micrometer;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolStatistics;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabRegistry;
import io.github.slabkit.slab.SlabStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A Micrometer {@link MeterBinder} that exposes the statistics of every open slab cache of a {@link
 * SlabRegistry} and of the given mempools: Slabkit's figures in Spring Boot's, Quarkus's or Micronaut's
 * metrics, next to the JVM's own.
 *
 * {@snippet :
 * SlabkitMetrics metrics = new SlabkitMetrics(SlabRegistry.global(), statePool, bioPool);
 * metrics.bindTo(meterRegistry);   // meters for the caches open now and for the pools
 * // ... after opening or closing caches:
 * metrics.refresh();               // meters for new caches, none left for closed ones
 * }
 *
 * <h2>Meters</h2>
 * Every slab-cache meter has the tag {@code cache=<name>}, every mempool meter {@code pool=<name>}.
 * Gauges read the current value; function counters and timers read Slabkit's monotonic counters (so a
 * Prometheus registry shows them as {@code ..._total}). Each value is read from {@link
 * SlabCache#slabStatistics()} or {@link Mempool#mempoolStatistics()} when the registry asks for it.
 * <table class="striped">
 *   <caption>Slab cache meters (tag {@code cache})</caption>
 *   <thead><tr><th>name</th><th>type</th><th>unit</th><th>what ({@link SlabStatistics})</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@code slabkit.slab.objects.active}</td><td>gauge</td><td>objects</td><td>allocated and not freed</td></tr>
 *     <tr><td>{@code slabkit.slab.objects.cached}</td><td>gauge</td><td>objects</td><td>free, held in magazines and the depot</td></tr>
 *     <tr><td>{@code slabkit.slab.objects.total}</td><td>gauge</td><td>objects</td><td>in all slabs ({@code num_objs})</td></tr>
 *     <tr><td>{@code slabkit.slab.slabs.active}</td><td>gauge</td><td>slabs</td><td>with an object out of the slab layer</td></tr>
 *     <tr><td>{@code slabkit.slab.slabs.total}</td><td>gauge</td><td>slabs</td><td>all slabs</td></tr>
 *     <tr><td>{@code slabkit.slab.slabs.empty}</td><td>gauge</td><td>slabs</td><td>empty, kept for reuse</td></tr>
 *     <tr><td>{@code slabkit.slab.memory.used}</td><td>gauge</td><td>bytes</td><td>in use by objects</td></tr>
 *     <tr><td>{@code slabkit.slab.memory.cached}</td><td>gauge</td><td>bytes</td><td>of free objects in magazines and the depot</td></tr>
 *     <tr><td>{@code slabkit.slab.memory.empty}</td><td>gauge</td><td>bytes</td><td>in empty slabs</td></tr>
 *     <tr><td>{@code slabkit.slab.memory.charged}</td><td>gauge</td><td>bytes</td><td>charged to the memory budget</td></tr>
 *     <tr><td>{@code slabkit.slab.object.size}</td><td>gauge</td><td>bytes</td><td>usable bytes of one object</td></tr>
 *     <tr><td>{@code slabkit.slab.thread.caches}</td><td>gauge</td><td>threads</td><td>platform-thread caches registered</td></tr>
 *     <tr><td>{@code slabkit.slab.allocations}</td><td>function counter</td><td>objects</td><td>allocations</td></tr>
 *     <tr><td>{@code slabkit.slab.allocations.fast}</td><td>function counter</td><td>objects</td><td>served from the thread's magazine</td></tr>
 *     <tr><td>{@code slabkit.slab.frees}</td><td>function counter</td><td>objects</td><td>frees</td></tr>
 *     <tr><td>{@code slabkit.slab.depot.exchanges}</td><td>function counter</td><td>magazines</td><td>magazines exchanged with the depot</td></tr>
 *     <tr><td>{@code slabkit.slab.grows}</td><td>function counter</td><td>slabs</td><td>slabs created</td></tr>
 *     <tr><td>{@code slabkit.slab.releases}</td><td>function counter</td><td>slabs</td><td>slabs released to the operating system</td></tr>
 *     <tr><td>{@code slabkit.slab.failures}</td><td>function counter</td><td>allocations</td><td>returned 0 or threw for lack of memory</td></tr>
 *     <tr><td>{@code slabkit.slab.double.frees}</td><td>function counter</td><td>frees</td><td>double frees detected and ignored</td></tr>
 *   </tbody>
 * </table>
 * <table class="striped">
 *   <caption>Mempool meters (tag {@code pool})</caption>
 *   <thead><tr><th>name</th><th>type</th><th>unit</th><th>what ({@link MempoolStatistics})</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@code slabkit.mempool.reserve.level}</td><td>gauge</td><td>objects</td><td>in the reserve now</td></tr>
 *     <tr><td>{@code slabkit.mempool.reserve.min}</td><td>gauge</td><td>objects</td><td>the reserve's target ({@code minNr})</td></tr>
 *     <tr><td>{@code slabkit.mempool.objects.live}</td><td>gauge</td><td>objects</td><td>handed out and not freed</td></tr>
 *     <tr><td>{@code slabkit.mempool.waiting}</td><td>gauge</td><td>requests</td><td>allocations and reservations waiting now</td></tr>
 *     <tr><td>{@code slabkit.mempool.allocations}</td><td>function counter</td><td>objects</td><td>handed out</td></tr>
 *     <tr><td>{@code slabkit.mempool.frees}</td><td>function counter</td><td>objects</td><td>given back</td></tr>
 *     <tr><td>{@code slabkit.mempool.backing.hits}</td><td>function counter</td><td>objects</td><td>from the backing allocator</td></tr>
 *     <tr><td>{@code slabkit.mempool.reserve.hits}</td><td>function counter</td><td>objects</td><td>from the reserve</td></tr>
 *     <tr><td>{@code slabkit.mempool.failures}</td><td>function counter</td><td>requests</td><td>{@code tryAllocate} calls that returned 0</td></tr>
 *     <tr><td>{@code slabkit.mempool.wait}</td><td>function timer</td><td>seconds</td><td>waits for this pool: count and total time</td></tr>
 *     <tr><td>{@code slabkit.mempool.wait.max}</td><td>time gauge</td><td>seconds</td><td>the longest wait</td></tr>
 *   </tbody>
 * </table>
 *
 * <h2>Caches and pools that come and go</h2>
 * A slab cache is found through its registry when {@link #bindTo} or {@link #refresh()} runs: call {@code
 * refresh()} after opening or closing caches (for example from the code that opens them, or on a schedule).
 * It removes the meters of caches that have been closed. Mempools have no registry: they are named in the
 * constructor or added with {@link #addPool(Mempool)}; {@link #removePool(Mempool)} removes their meters
 * (a closed pool's meters otherwise keep its last values, until an open pool of the same name is added: the
 * meters then read the open one). Meters are identified by name and tag, so give open caches distinct names,
 * and open pools too (JMX needs the same). A cache or pool closed and replaced by a new one of the same name
 * is metered as the new one after the next {@code refresh()} (for pools, {@code addPool} refreshes); removing
 * the closed one afterwards leaves the new one's meters alone.
 *
 * <h2>Thread safety</h2>
 * All methods are thread safe. Meters hold their cache or pool weakly, as Micrometer's gauges do by default:
 * binding keeps nothing alive.
 */
public final class SlabkitMetrics implements MeterBinder {
  /** The tag that names a slab cache. */
  public static final String CACHE_TAG = "cache";

  /** The tag that names a mempool. */
  public static final String POOL_TAG = "pool";

  private final SlabRegistry caches;
  private final List<Mempool> pools = new ArrayList<>();
  /** The meters this binder registered, per registry it was bound to and per cache or pool (by identity). */
  private final IdentityHashMap<MeterRegistry, IdentityHashMap<Object, List<Meter>>> bound =
      new IdentityHashMap<>();

  /**
   * Creates a binder for the open caches of {@code caches} (for example {@link SlabRegistry#global()}) and
   * for {@code pools}.
   *
   * @param caches the registry whose open caches get meters
   * @param pools the mempools that get meters
   */
  public SlabkitMetrics(SlabRegistry caches, Mempool... pools) {
    this.caches = Objects.requireNonNull(caches, "caches");
    for (Mempool p : pools) {
      this.pools.add(Objects.requireNonNull(p, "pool"));
    }
  }

  /**
   * Registers meters for every cache open now and for every pool. Binding to the same registry again is a
   * {@link #refresh()}.
   *
   * @param registry the meter registry
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    sync(registry, bound.computeIfAbsent(registry, r -> new IdentityHashMap<>()));
  }

  /**
   * Brings every bound registry up to date: meters for caches opened since and for added pools, no meters for
   * closed caches and removed pools.
   */
  public synchronized void refresh() {
    bound.forEach(this::sync);
  }

  /**
   * Adds a pool, and its meters to every bound registry.
   *
   * @param pool the pool
   */
  public synchronized void addPool(Mempool pool) {
    Objects.requireNonNull(pool, "pool");
    if (!containsIdentity(pools, pool)) {
      pools.add(pool);
    }
    refresh();
  }

  /**
   * Removes a pool, and its meters from every bound registry (do it when the pool is closed).
   *
   * @param pool the pool
   */
  public synchronized void removePool(Mempool pool) {
    pools.removeIf(p -> p == pool);
    refresh();
  }

  /**
   * Removes the meters of what is no longer metered, then registers meters for what is new. Removal comes
   * first because a registry identifies meters by name and tags: registering a new cache or pool while a
   * closed one of the same name still has meters would hand back the closed one's meters, and removing
   * those later would leave the new one unmetered.
   */
  private void sync(MeterRegistry registry, IdentityHashMap<Object, List<Meter>> meters) {
    List<SlabCache> open = caches.caches();
    meters
        .entrySet()
        .removeIf(
            e -> {
              Object source = e.getKey();
              boolean keep =
                  source instanceof SlabCache c ? containsIdentity(open, c) : metered((Mempool) source);
              if (!keep) {
                e.getValue().forEach(registry::remove);
              }
              return !keep;
            });
    for (SlabCache c : open) {
      meters.computeIfAbsent(c, k -> SlabMeters.register(registry, c));
    }
    for (Mempool p : pools) {
      if (metered(p)) {
        meters.computeIfAbsent(p, k -> poolMeters(registry, p));
      }
    }
  }

  /**
   * Whether a pool gets meters: it was given and not removed, and it is not a closed pool whose name an open
   * pool given since has taken over (the two would share meters).
   */
  @SuppressWarnings("ReferenceEquality") // pools are told apart by identity, as the meter maps do
  private boolean metered(Mempool pool) {
    if (!containsIdentity(pools, pool)) {
      return false;
    }
    if (!pool.isClosed()) {
      return true;
    }
    for (Mempool other : pools) {
      if (other != pool && !other.isClosed() && other.name().equals(pool.name())) {
        return false;
      }
    }
    return true;
  }

  @SuppressWarnings("ReferenceEquality") // caches and pools are told apart by identity, as the meter maps do
  private static boolean containsIdentity(List<?> list, Object o) {
    for (Object x : list) {
      if (x == o) {
        return true;
      }
    }
    return false;
  }

  private static List<Meter> poolMeters(MeterRegistry registry, Mempool pool) {
    String name = pool.name();
    List<Meter> m = new ArrayList<>();
    m.add(gauge(registry, "slabkit.mempool.reserve.level", pool, name, BaseUnits.OBJECTS, "objects in the reserve now", s -> s.reserveLevel()));
    m.add(gauge(registry, "slabkit.mempool.reserve.min", pool, name, BaseUnits.OBJECTS, "the reserve's target size (minNr)", s -> s.minNr()));
    m.add(gauge(registry, "slabkit.mempool.objects.live", pool, name, BaseUnits.OBJECTS, "objects handed out and not freed", s -> s.liveObjects()));
    m.add(gauge(registry, "slabkit.mempool.waiting", pool, name, "requests", "allocations and reservations waiting now", s -> s.waiting()));
    m.add(counter(registry, "slabkit.mempool.allocations", pool, name, BaseUnits.OBJECTS, "objects handed out", s -> s.allocations()));
    m.add(counter(registry, "slabkit.mempool.frees", pool, name, BaseUnits.OBJECTS, "objects given back", s -> s.frees()));
    m.add(counter(registry, "slabkit.mempool.backing.hits", pool, name, BaseUnits.OBJECTS, "objects from the backing allocator", s -> s.backingHits()));
    m.add(counter(registry, "slabkit.mempool.reserve.hits", pool, name, BaseUnits.OBJECTS, "objects from the reserve", s -> s.reserveHits()));
    m.add(counter(registry, "slabkit.mempool.failures", pool, name, "requests", "tryAllocate calls that returned 0", s -> s.failures()));
    m.add(
        FunctionTimer.builder(
                "slabkit.mempool.wait",
                pool,
                p -> p.mempoolStatistics().waits(),
                p -> p.mempoolStatistics().totalWaitNanos(),
                TimeUnit.NANOSECONDS)
            .tag(POOL_TAG, name)
            .description("allocations and reservations that waited for this pool, and their total wait")
            .register(registry));
    m.add(
        TimeGauge.builder(
                "slabkit.mempool.wait.max",
                pool,
                TimeUnit.NANOSECONDS,
                p -> p.mempoolStatistics().maxWaitNanos())
            .tag(POOL_TAG, name)
            .description("the longest wait for this pool")
            .register(registry));
    return m;
  }

  private static Meter gauge(
      MeterRegistry registry,
      String meter,
      Mempool pool,
      String name,
      String unit,
      String description,
      ToDoubleFunction<MempoolStatistics> value) {
    return Gauge.builder(meter, pool, p -> value.applyAsDouble(p.mempoolStatistics()))
        .tag(POOL_TAG, name)
        .baseUnit(unit)
        .description(description)
        .register(registry);
  }

  private static Meter counter(
      MeterRegistry registry,
      String meter,
      Mempool pool,
      String name,
      String unit,
      String description,
      ToDoubleFunction<MempoolStatistics> value) {
    return FunctionCounter.builder(meter, pool, p -> value.applyAsDouble(p.mempoolStatistics()))
        .tag(POOL_TAG, name)
        .baseUnit(unit)
        .description(description)
        .register(registry);
  }
}
