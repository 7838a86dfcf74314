package io.github.slabkit.allocator.internal;

import java.util.Optional;

/**
 * The application's frame that called into Slabkit, for the JFR events whose own stack trace starts inside
 * the library. JFR's stack filter ({@code jdk.jfr.internal.StackFilter}) is internal to the JDK, so an
 * event cannot drop its library frames itself; it carries this frame as a field instead. Not API: exported
 * only to Slabkit's modules.
 */
public final class Callers {
  /** The packages of Slabkit's library modules (not its examples, which are applications). */
  private static final String[] LIBRARY = {
    "io.github.slabkit.allocator.",
    "io.github.slabkit.slab.",
    "io.github.slabkit.mempool.",
    "io.github.slabkit.kmalloc.",
    "io.github.slabkit.extent.",
    "io.github.slabkit.micrometer.",
  };

  private static final StackWalker WALKER = StackWalker.getInstance();

  private Callers() {}

  /**
   * The first frame of the calling thread's stack outside Slabkit's library, as {@code Class.method(File:line)}.
   * It walks the stack, so it is for events that a recording enables, not for fast paths.
   *
   * @return the frame, or {@code ""} if the whole stack is Slabkit's (a library thread)
   */
  public static String first() {
    Optional<StackWalker.StackFrame> f = WALKER.walk(s -> s.filter(Callers::outside).findFirst());
    return f.map(x -> x.toStackTraceElement().toString()).orElse("");
  }

  private static boolean outside(StackWalker.StackFrame f) {
    String c = f.getClassName();
    for (String p : LIBRARY) {
      if (c.startsWith(p)) {
        return false;
      }
    }
    return true;
  }
}
