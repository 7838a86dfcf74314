package io.github.slabkit.kmalloc;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, through {@code com.sun.management.ThreadMXBean} by reflection (the
 * module under test does not read {@code jdk.management}; core reflection needs no readability).
 */
final class Garbage {
  private static final Object BEAN;
  private static final Method READ;

  static {
    try {
      BEAN = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
      READ = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
      // Core reflection invokes through a method handle, which the JDK customizes after about 127 calls
      // (a new lambda form: kilobytes allocated in the calling thread) unless the JIT has inlined the call
      // by then. That one-time cost landed inside a measurement now and then (4.6 to 4.9 KB, the garbage
      // tests failing about one run in eight on a loaded machine); calling well past the threshold here puts
      // it before any measurement.
      for (int i = 0; i < 1_000; i++) {
        READ.invoke(BEAN);
      }
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Garbage() {}

  static long allocatedBytes() {
    try {
      return (long) READ.invoke(BEAN);
    } catch (ReflectiveOperationException e) {
      throw new LinkageError("cannot measure allocation", e);
    }
  }
}
