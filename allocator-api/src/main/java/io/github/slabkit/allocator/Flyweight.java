package io.github.slabkit.allocator;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A reusable view of one object at a time, in the style of Agrona's flyweights: {@link #wrap(long) wrap} it
 * around a handle, then read and write the object's fields through {@link LongField} and {@link IntField}
 * descriptors made once from the object's {@link MemoryLayout}. Nothing is allocated per object or per
 * access, and an access costs what the plain layout-{@code VarHandle} access {@code
 * VH.get(allocator.memory(h), allocator.offset(h))} costs (measured in {@code FlyweightBenchmark}).
 *
 * {@snippet class=io.github.slabkit.examples.snippets.FlyweightExamples region="flyweight-fields"}
 *
 * {@snippet class=io.github.slabkit.examples.snippets.FlyweightExamples region="flyweight"}
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #wrap(long)} and {@link #wrap(ObjectAllocator, long)} resolve the handle once; each field
 *       access then is one {@code VarHandle} access at {@code base + field offset}, with the memory
 *       semantics of the method called ({@code get}/{@code set} plain, {@code getVolatile},
 *       {@code setRelease}, {@code compareAndSet}, {@code getAndAdd} as {@link java.lang.invoke.VarHandle}
 *       defines them).
 *   <li>The layout must fit the allocator's objects: the constructor that binds an allocator and
 *       {@link #wrap(ObjectAllocator, long)} throw {@link IllegalArgumentException} when
 *       {@code layout.byteSize() > allocator.objectSize()}, so fields made from the view's layout never reach a
 *       neighbouring object.
 *   <li>Before the first {@code wrap} every field access throws {@link IndexOutOfBoundsException}.
 * </ul>
 *
 * <h2>What is not guaranteed</h2>
 * A flyweight is a cursor, not a reference: it is <em>not</em> thread safe (keep one per thread, or per
 * use), and it does not know when the object is freed. Accessing a field after the wrapped handle was freed
 * reads or writes whatever object takes its place, exactly as the plain {@code VarHandle} path would. Wrap a
 * handle of the allocator the flyweight is bound to (or the one passed to {@link #wrap(ObjectAllocator,
 * long)}); a handle the allocator does not recognise is rejected where its {@code memory(long)} or {@code
 * offset(long)} detect it, and the view is then left as it was.
 */
// Error Prone's InvalidSnippet does not know external snippets (class=..., region=...), which javadoc resolves
// through --snippet-path from the tested examples module.
@SuppressWarnings("InvalidSnippet")
public final class Flyweight {
  private final MemoryLayout layout;
  private final @Nullable ObjectAllocator bound;

  private MemorySegment memory = MemorySegment.NULL;
  private long base;
  private long handle = ObjectAllocator.NO_HANDLE;

  /**
   * Creates a view of objects of {@code layout}, to be used with {@link #wrap(ObjectAllocator, long)}.
   *
   * @param layout the objects' layout, the one the fields are made from
   */
  public Flyweight(MemoryLayout layout) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.bound = null;
  }

  /**
   * Creates a view of {@code allocator}'s objects, to be used with {@link #wrap(long)}.
   *
   * @param layout the objects' layout, the one the fields are made from
   * @param allocator the allocator whose handles this view wraps
   * @throws IllegalArgumentException if the layout is larger than the allocator's objects
   */
  public Flyweight(MemoryLayout layout, ObjectAllocator allocator) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.bound = checkFits(layout, Objects.requireNonNull(allocator, "allocator"));
  }

  /**
   * Points this view at the object {@code handle} of the allocator given to the constructor.
   *
   * @param handle a live handle of that allocator
   * @return this view
   * @throws IllegalStateException if this view was created without an allocator
   * @throws InvalidHandleException if the allocator rejects the handle (for example {@code 0})
   */
  public Flyweight wrap(long handle) {
    ObjectAllocator a = bound;
    if (a == null) {
      throw new IllegalStateException(
          "this Flyweight has no allocator: use wrap(allocator, handle), or new Flyweight(layout, allocator)");
    }
    return at(a, handle);
  }

  /**
   * Points this view at the object {@code handle} of {@code allocator}.
   *
   * @param allocator the allocator that returned the handle
   * @param handle a live handle of that allocator
   * @return this view
   * @throws IllegalArgumentException if the layout is larger than the allocator's objects
   * @throws InvalidHandleException if the allocator rejects the handle (for example {@code 0})
   */
  public Flyweight wrap(ObjectAllocator allocator, long handle) {
    if (layout.byteSize() > allocator.objectSize()) {
      checkFits(layout, allocator);
    }
    return at(allocator, handle);
  }

  @SuppressWarnings({"MemorySegmentReferenceEquality", "ReferenceEquality"}) // identity on purpose: cheap
  private Flyweight at(ObjectAllocator a, long h) {
    // Both resolved before anything is stored: a rejected handle leaves the view as it was.
    MemorySegment m = a.memory(h);
    long b = a.offset(h);
    // Objects of one slab share a segment: skip the reference store (and its GC write barrier) when the
    // view stays in the same slab, which is the common case when walking related objects.
    if (m != memory) {
      memory = m;
    }
    base = b;
    handle = h;
    return this;
  }

  /**
   * Returns the wrapped handle.
   *
   * @return the handle, or {@code 0} before the first wrap
   */
  public long handle() {
    return handle;
  }

  /**
   * Returns the segment holding the wrapped object, for accesses the fields do not cover.
   *
   * @return the segment ({@link MemorySegment#NULL} before the first wrap)
   */
  public MemorySegment memory() {
    return memory;
  }

  /**
   * Returns the wrapped object's offset in {@link #memory()}.
   *
   * @return the base offset
   */
  public long base() {
    return base;
  }

  /**
   * Returns the layout this view was made for.
   *
   * @return the layout
   */
  public MemoryLayout layout() {
    return layout;
  }

  private static ObjectAllocator checkFits(MemoryLayout layout, ObjectAllocator allocator) {
    if (layout.byteSize() > allocator.objectSize()) {
      throw new IllegalArgumentException(
          allocator.name() + ": a layout of " + layout.byteSize() + " bytes does not fit its objects of "
              + allocator.objectSize() + " bytes; build the allocator from this layout (or a larger size)");
    }
    return allocator;
  }

  @Override
  public String toString() {
    return "Flyweight[" + layout + (handle == ObjectAllocator.NO_HANDLE ? ", not wrapped]" : ", handle " + handle + "]");
  }
}
