package io.github.slabkit.slab;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, through {@code com.sun.management.ThreadMXBean} by reflection (the
 * module under test does not read {@code jdk.management}; core reflection needs no readability).
 */
final class Garbage {
  private Garbage() {}

  static long allocatedBytes() {
    try {
      Object bean =
          Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
      Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
      return (long) m.invoke(bean);
    } catch (ReflectiveOperationException e) {
      throw new LinkageError("cannot measure allocation", e);
    }
  }
}
