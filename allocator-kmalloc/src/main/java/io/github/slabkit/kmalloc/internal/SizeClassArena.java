package io.github.slabkit.kmalloc.internal;

import io.github.slabkit.kmalloc.Kmalloc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A confined {@link Arena} whose segments are objects of a {@link Kmalloc}.
 *
 * <p>The arena's scope is that of a plain {@link Arena#ofConfined()} created with it (FFM scopes are JDK
 * objects; only a JDK arena can make segments inaccessible). Each allocation takes an object from the
 * allocator and binds its address to that scope with {@link MemorySegment#reinterpret(long, Arena,
 * java.util.function.Consumer)}, so the JDK itself enforces the owner thread and the end of life.
 * {@link #close()} closes the scope first, so no segment is accessible when the objects go back to the
 * allocator, then frees the objects. The inner arena never allocates memory; what it costs is its creation
 * and its close (no handshake: it is confined).
 *
 * <p>Not thread safe: confined to the thread that created it, like {@code Arena.ofConfined()}.
 */
public final class SizeClassArena implements Arena {
  private final Kmalloc kmalloc;
  private final boolean zeroed;
  private final Arena scope;
  private final Thread owner;
  private long[] handles = new long[8];
  private int count;

  /**
   * Creates an arena owned by the calling thread.
   *
   * @param kmalloc the allocator its segments come from
   * @param zeroed whether segments are zero-filled
   */
  @SuppressWarnings("MustBeClosedChecker") // the scope is closed by close()
  public SizeClassArena(Kmalloc kmalloc, boolean zeroed) {
    this.kmalloc = kmalloc;
    this.zeroed = zeroed;
    this.scope = Arena.ofConfined();
    this.owner = Thread.currentThread();
  }

  @Override
  @SuppressWarnings("restricted") // reinterpret: documented on Kmalloc.newArena (--enable-native-access)
  public MemorySegment allocate(long byteSize, long byteAlignment) {
    if (byteSize < 0) {
      throw new IllegalArgumentException("byteSize must not be negative, was " + byteSize);
    }
    if (byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
      throw new IllegalArgumentException("byteAlignment must be a positive power of two, was " + byteAlignment);
    }
    checkOwnerAndOpen();
    long h = kmalloc.allocate(Math.max(1, byteSize), byteAlignment);
    if (count == handles.length) {
      handles = Arrays.copyOf(handles, count * 2);
    }
    handles[count++] = h;
    long address = kmalloc.memory(h).address() + kmalloc.offset(h);
    MemorySegment s = MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
    if (zeroed) {
      s.fill((byte) 0);
    }
    return s;
  }

  @Override
  public MemorySegment.Scope scope() {
    return scope.scope();
  }

  /**
   * Makes every segment inaccessible, then frees their objects.
   *
   * @throws IllegalStateException if already closed
   * @throws WrongThreadException if called from another thread than the owner
   */
  @Override
  public void close() {
    checkOwnerAndOpen();
    scope.close();
    kmalloc.freeBulk(handles, count);
    count = 0;
  }

  private void checkOwnerAndOpen() {
    if (Thread.currentThread() != owner) {
      throw new WrongThreadException(
          "this kmalloc arena is confined to thread " + owner.getName() + "; it was used from "
              + Thread.currentThread().getName());
    }
    if (!scope.scope().isAlive()) {
      throw new IllegalStateException("this kmalloc arena is already closed");
    }
  }
}
