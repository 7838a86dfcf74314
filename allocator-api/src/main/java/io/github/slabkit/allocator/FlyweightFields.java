package io.github.slabkit.allocator;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.stream.Collectors;

/** Resolves a named field of a struct layout to its layout-{@code VarHandle}, with messages for mistakes. */
final class FlyweightFields {
  private FlyweightFields() {}

  static VarHandle handle(MemoryLayout layout, String name, Class<?> carrier, String kind) {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(name, "name");
    if (!(layout instanceof StructLayout struct)) {
      throw new IllegalArgumentException("fields are declared by a StructLayout, not " + layout);
    }
    MemoryLayout field =
        struct.memberLayouts().stream()
            .filter(m -> m.name().filter(name::equals).isPresent())
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the layout has no field '" + name + "'; its fields: " + names(struct)));
    if (!(field instanceof ValueLayout value) || value.carrier() != carrier) {
      throw new IllegalArgumentException(
          "field '" + name + "' is " + field + ", not a " + carrier.getSimpleName() + ": use a "
              + kind + " for " + carrier.getSimpleName() + " fields only");
    }
    // Coordinates (MemorySegment, long base): the flyweight passes its wrapped segment and object offset.
    return struct.varHandle(PathElement.groupElement(name));
  }

  static long offset(MemoryLayout layout, String name) {
    return layout.byteOffset(PathElement.groupElement(name));
  }

  private static String names(StructLayout struct) {
    return struct.memberLayouts().stream()
        .map(m -> m.name().orElse("(padding)"))
        .collect(Collectors.joining(", "));
  }
}
