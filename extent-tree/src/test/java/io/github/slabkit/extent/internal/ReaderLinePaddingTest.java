package io.github.slabkit.extent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The class-hierarchy padding that keeps what optimistic readers read on every lookup (the B+tree's root,
 * height, structure version and closed flag; the node shape) off the cache lines the writer changes on
 * every step. A field offset cannot be read here without {@code sun.misc.Unsafe}, so this checks the shape
 * the layout depends on: the reader's fields are declared in one class, between two classes that declare
 * nothing but at least 64 bytes of {@code byte} fields each. Byte padding is what leaves HotSpot no gap to
 * fill with a subclass's fields; with long padding it put the writer's flags beside {@code root}.
 */
class ReaderLinePaddingTest {

  @Test
  void treeTopIsPaddedOnBothSides() {
    assertPadded(NodeTreeTop.class, NodeTree.class, Set.of("root", "height", "structure", "freed"));
  }

  @Test
  void nodeShapeIsPaddedOnBothSides() {
    assertPadded(NodeShape.class, NodeLayout.class, Set.of("mem", "leafCap", "fanout", "ends", "bitsAt", "kids"));
    Set<String> writer = instanceFields(NodeLayout.class);
    assertTrue(writer.containsAll(Set.of("wh", "wm", "wo")), "the writer's cache is after the padding: " + writer);
  }

  /**
   * {@code hot} declares exactly {@code readerFields}; its superclass is byte padding directly under
   * {@code Object}; {@code writer}'s superclass is byte padding directly under {@code hot} (the padding
   * classes are reached through the hierarchy: they are auxiliary classes of the hot class's file).
   */
  private static void assertPadded(Class<?> hot, Class<?> writer, Set<String> readerFields) {
    assertEquals(readerFields, instanceFields(hot), hot.getSimpleName() + " declares exactly the readers' fields");
    assertBytePadding(hot.getSuperclass());
    assertEquals(Object.class, hot.getSuperclass().getSuperclass(), "nothing before the leading padding");
    Class<?> after = writer.getSuperclass();
    assertEquals(hot, after.getSuperclass(), "the writer's fields come after the trailing padding");
    assertBytePadding(after);
  }

  private static void assertBytePadding(Class<?> pad) {
    Field[] fields = Arrays.stream(pad.getDeclaredFields()).filter(f -> !Modifier.isStatic(f.getModifiers()))
        .toArray(Field[]::new);
    assertTrue(fields.length >= 64, pad.getSimpleName() + " has " + fields.length + " bytes, fewer than a line");
    for (Field f : fields) {
      assertEquals(byte.class, f.getType(), pad.getSimpleName() + "." + f.getName() + ": bytes leave no gap to fill");
    }
  }

  private static Set<String> instanceFields(Class<?> c) {
    return Arrays.stream(c.getDeclaredFields()).filter(f -> !Modifier.isStatic(f.getModifiers()))
        .map(Field::getName).collect(Collectors.toSet());
  }
}
