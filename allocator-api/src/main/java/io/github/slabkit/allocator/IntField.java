package io.github.slabkit.allocator;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;

/**
 * A {@code int} field of a {@link Flyweight}'s objects: made once (a {@code static final} constant), then
 * used with any view of that layout. Each access is one {@code VarHandle} access at the wrapped object's
 * base; the access mode is in the method's name, as {@link VarHandle} defines it.
 *
 * <p>A record on purpose: HotSpot trusts the final fields of records, so a {@code static final} field's
 * {@link #varHandle()} is a compile-time constant and the access costs what a {@code static final VarHandle}
 * access costs.
 *
 * @param name the field's name in the layout
 * @param offset the field's byte offset in the object
 * @param varHandle the layout {@code VarHandle}, coordinates {@code (MemorySegment, long base)}
 */
public record IntField(String name, long offset, VarHandle varHandle) {

  /**
   * Checks the parts; {@link #of(MemoryLayout, String)} is the way to make one.
   *
   * @param name the field's name in the layout
   * @param offset the field's byte offset in the object
   * @param varHandle a layout {@code VarHandle} of a {@code int}, coordinates {@code (MemorySegment, long)}
   * @throws IllegalArgumentException if the {@code VarHandle} is not such a handle
   */
  public IntField {
    Objects.requireNonNull(name, "name");
    if (varHandle.varType() != int.class
        || !varHandle.coordinateTypes().equals(List.of(MemorySegment.class, long.class))) {
      throw new IllegalArgumentException(
          "field '" + name + "': " + varHandle + " is not a layout VarHandle of a int; use IntField.of(layout, name)");
    }
  }

  /**
   * Makes the descriptor of the {@code int} field {@code name} of a struct layout.
   *
   * @param layout a {@link java.lang.foreign.StructLayout} with a field of that name
   * @param name the field's name
   * @return the field
   * @throws IllegalArgumentException if the layout is not a struct, has no such field, or the field is not a
   *     {@code int}; the message lists the layout's fields
   */
  public static IntField of(MemoryLayout layout, String name) {
    VarHandle handle = FlyweightFields.handle(layout, name, int.class, "IntField"); // checks name and type
    return new IntField(name, FlyweightFields.offset(layout, name), handle);
  }

  /**
   * Reads the field with plain memory semantics.
   *
   * @param view a wrapped view
   * @return the value
   */
  public int get(Flyweight view) {
    return (int) varHandle.get(view.memory(), view.base());
  }

  /**
   * Writes the field with plain memory semantics.
   *
   * @param view a wrapped view
   * @param value the value
   */
  public void set(Flyweight view, int value) {
    varHandle.set(view.memory(), view.base(), value);
  }

  /**
   * Reads the field with volatile memory semantics.
   *
   * @param view a wrapped view
   * @return the value
   */
  public int getVolatile(Flyweight view) {
    return (int) varHandle.getVolatile(view.memory(), view.base());
  }

  /**
   * Writes the field with release memory semantics: prior loads and stores are not reordered after it.
   *
   * @param view a wrapped view
   * @param value the value
   */
  public void setRelease(Flyweight view, int value) {
    varHandle.setRelease(view.memory(), view.base(), value);
  }

  /**
   * Atomically sets the field to {@code update} if it holds {@code expect}, with volatile semantics.
   *
   * @param view a wrapped view
   * @param expect the expected value
   * @param update the new value
   * @return whether the field held {@code expect}
   */
  public boolean compareAndSet(Flyweight view, int expect, int update) {
    return varHandle.compareAndSet(view.memory(), view.base(), expect, update);
  }

  /**
   * Atomically adds {@code delta} to the field, with volatile semantics.
   *
   * @param view a wrapped view
   * @param delta the amount to add
   * @return the previous value
   */
  public int getAndAdd(Flyweight view, int delta) {
    return (int) varHandle.getAndAdd(view.memory(), view.base(), delta);
  }
}
