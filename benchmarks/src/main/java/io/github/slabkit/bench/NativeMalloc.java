package io.github.slabkit.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code malloc}/{@code free} of the C library through FFM downcall handles: the anchor a user who wants
 * "just native memory" would write. Two flavours: the plain downcall (with the thread-state transition)
 * and one with {@link Linker.Option#critical(boolean)}, which skips the transition (allowed because
 * malloc/free never call back into Java and are short).
 *
 * <p>Downcalls are restricted methods: the benchmark forks run with {@code --enable-native-access}.
 */
@SuppressWarnings("restricted") // the malloc anchor is a downcall by definition
final class NativeMalloc {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();

  static final MethodHandle MALLOC =
      LINKER.downcallHandle(
          LIBC.findOrThrow("malloc"),
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
  static final MethodHandle FREE =
      LINKER.downcallHandle(LIBC.findOrThrow("free"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

  static final MethodHandle MALLOC_CRITICAL =
      LINKER.downcallHandle(
          LIBC.findOrThrow("malloc"),
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
          Linker.Option.critical(false));
  static final MethodHandle FREE_CRITICAL =
      LINKER.downcallHandle(
          LIBC.findOrThrow("free"),
          FunctionDescriptor.ofVoid(ValueLayout.ADDRESS),
          Linker.Option.critical(false));

  private NativeMalloc() {}

  static MemorySegment malloc(long size) {
    try {
      return (MemorySegment) MALLOC.invokeExact(size);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static void free(MemorySegment p) {
    try {
      FREE.invokeExact(p);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static MemorySegment mallocCritical(long size) {
    try {
      return (MemorySegment) MALLOC_CRITICAL.invokeExact(size);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static void freeCritical(MemorySegment p) {
    try {
      FREE_CRITICAL.invokeExact(p);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }
}
