package io.github.slabkit.examples.snippets;

import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolMXBean;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheMXBean;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.TreeSet;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/** JMX examples quoted by the documentation. */
public final class JmxExamples {
  private JmxExamples() {}

  /**
   * Looks a cache and a pool up by their documented names, as a monitoring agent would.
   *
   * @return {@code "<active objects> <pool reserve level> <names found by the pattern>"}
   * @throws MalformedObjectNameException never: the names are constants
   */
  public static String lookup() throws MalformedObjectNameException {
    try (SlabCache cache = SlabCache.builder("extent_state").objectSize(48).jmx(true).build();
        Mempool pool = Mempool.builder("extent_state_pool", cache).minNr(4).jmx(true).build()) {
      long h = pool.allocate();
      // @start region="jmx-lookup"
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      // io.github.slabkit:type=SlabCache,name=<name>: the name as it is (quoted only if it holds , = : " * ? \)
      ObjectName cacheName = new ObjectName("io.github.slabkit:type=SlabCache,name=extent_state");
      SlabCacheMXBean states = JMX.newMXBeanProxy(server, cacheName, SlabCacheMXBean.class);
      long active = states.getActiveObjects();
      ObjectName poolName = new ObjectName("io.github.slabkit:type=Mempool,name=extent_state_pool");
      int reserve = JMX.newMXBeanProxy(server, poolName, MempoolMXBean.class).getReserveLevel();
      // Every Slabkit cache and pool of this JVM:
      Set<ObjectName> all = server.queryNames(new ObjectName("io.github.slabkit:*"), null);
      // @end
      pool.free(h);
      return active + " " + reserve + " " + new TreeSet<>(all);
    }
  }

  /**
   * A name that is not a legal unquoted value is registered quoted.
   *
   * @return the registered object name of a cache named {@code tenant=a,b}
   */
  public static String quotedName() {
    // @start region="jmx-quoted"
    try (SlabCache cache = SlabCache.builder("tenant=a,b").objectSize(16).build()) {
      ObjectName registered = cache.registerMBean(); // the name it registered under, whatever the cache's name
      // here: io.github.slabkit:type=SlabCache,name="tenant=a,b", that is ObjectName.quote(cache.name())
      return registered.toString();
    }
    // @end
  }
}
