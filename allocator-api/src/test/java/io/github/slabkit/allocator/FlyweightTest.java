package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The flyweight reads and writes the fields the layout declares, at the wrapped object, and rejects misuse. */
class FlyweightTest {
  static final StructLayout NODE =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_LONG.withName("start"),
          ValueLayout.JAVA_LONG.withName("end"),
          ValueLayout.JAVA_INT.withName("bits"),
          MemoryLayout.paddingLayout(4));
  static final LongField START = LongField.of(NODE, "start");
  static final LongField END = LongField.of(NODE, "end");
  static final IntField BITS = IntField.of(NODE, "bits");

  @Test
  void fieldsAddressTheirOffsetsInTheWrappedObject() {
    try (TestAllocator a = new TestAllocator("nodes", NODE.byteSize(), 4, 1)) {
      long h = a.allocate();
      Flyweight v = new Flyweight(NODE, a).wrap(h);
      START.set(v, 10);
      END.set(v, 20);
      BITS.set(v, 0x5);
      assertEquals(10, a.memory(h).get(ValueLayout.JAVA_LONG, a.offset(h)));
      assertEquals(20, a.memory(h).get(ValueLayout.JAVA_LONG, a.offset(h) + 8));
      assertEquals(5, a.memory(h).get(ValueLayout.JAVA_INT, a.offset(h) + 16));
      assertEquals(16, BITS.offset());
      assertEquals("end", END.name());
      assertEquals(h, v.handle());
      assertEquals(a.offset(h), v.base());
    }
  }

  @Test
  void aModelOfManyObjectsAgreesAfterRandomWrites() {
    SplittableRandom rnd = new SplittableRandom(42);
    try (TestAllocator a = new TestAllocator("model", NODE.byteSize(), 64, 2)) {
      long[] handles = new long[64];
      for (int i = 0; i < handles.length; i++) {
        handles[i] = a.allocate();
      }
      Map<Long, long[]> model = new HashMap<>();
      Flyweight v = new Flyweight(NODE); // unbound: wrap(allocator, handle)
      for (int step = 0; step < 10_000; step++) {
        long h = handles[rnd.nextInt(handles.length)];
        v.wrap(a, h);
        long[] m = model.computeIfAbsent(h, k -> new long[3]);
        switch (rnd.nextInt(5)) {
          case 0 -> {
            m[0] = rnd.nextLong();
            START.set(v, m[0]);
          }
          case 1 -> {
            m[1] = rnd.nextLong();
            END.setRelease(v, m[1]);
          }
          case 2 -> {
            m[2] = rnd.nextInt();
            BITS.set(v, (int) m[2]);
          }
          case 3 -> {
            assertEquals(m[0], START.getAndAdd(v, 3), "getAndAdd returns the old value");
            m[0] += 3;
          }
          default -> {
            boolean swapped = BITS.compareAndSet(v, (int) m[2], 7);
            assertTrue(swapped, "compareAndSet with the current value succeeds");
            m[2] = 7;
          }
        }
        assertEquals(m[0], START.getVolatile(v));
        assertEquals(m[1], END.get(v));
        assertEquals((int) m[2], BITS.getVolatile(v));
      }
    }
  }

  @Test
  void aLayoutLargerThanTheObjectsIsRejected() {
    try (TestAllocator small = new TestAllocator("small", 16, 2, 3)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Flyweight(NODE, small));
      assertTrue(e.getMessage().contains("small") && e.getMessage().contains("24 bytes"), e.getMessage());
      long h = small.allocate();
      Flyweight v = new Flyweight(NODE);
      assertThrows(IllegalArgumentException.class, () -> v.wrap(small, h));
      assertEquals(ObjectAllocator.NO_HANDLE, v.handle(), "a rejected wrap changes nothing");
    }
  }

  @Test
  void badHandlesAreRejectedAndLeaveTheViewAsItWas() {
    try (TestAllocator a = new TestAllocator("nodes", NODE.byteSize(), 2, 4);
        TestAllocator other = new TestAllocator("other", NODE.byteSize(), 2, 5)) {
      long h = a.allocate();
      Flyweight v = new Flyweight(NODE, a).wrap(h);
      START.set(v, 99);
      assertThrows(InvalidHandleException.class, () -> v.wrap(ObjectAllocator.NO_HANDLE));
      assertThrows(InvalidHandleException.class, () -> v.wrap(other.allocate()));
      assertEquals(h, v.handle());
      assertEquals(99, START.get(v));
    }
  }

  @Test
  void anUnwrappedViewFailsInsteadOfReadingAnything() {
    Flyweight v = new Flyweight(NODE);
    assertThrows(IndexOutOfBoundsException.class, () -> START.get(v));
    assertThrows(IndexOutOfBoundsException.class, () -> BITS.set(v, 1));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.wrap(1L));
    assertTrue(e.getMessage().contains("wrap(allocator, handle)"), e.getMessage());
    assertTrue(v.toString().contains("not wrapped"), v.toString());
  }

  @Test
  void fieldMistakesNameTheLayoutsFields() {
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> LongField.of(NODE, "length"));
    assertTrue(unknown.getMessage().contains("no field 'length'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("start, end, bits"), unknown.getMessage());
    IllegalArgumentException wrongType =
        assertThrows(IllegalArgumentException.class, () -> LongField.of(NODE, "bits"));
    assertTrue(wrongType.getMessage().contains("not a long"), wrongType.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IntField.of(NODE, "start"));
    assertThrows(IllegalArgumentException.class, () -> IntField.of(ValueLayout.JAVA_INT, "x"));
    IllegalArgumentException handMade =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LongField("start", 0, ValueLayout.JAVA_LONG.arrayElementVarHandle()));
    assertTrue(handMade.getMessage().contains("LongField.of(layout, name)"), handMade.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new IntField("bits", 16, START.varHandle()));
  }

  @Test
  void wrapReturnsTheSameViewSoItAllocatesNothingPerObject() {
    try (TestAllocator a = new TestAllocator("nodes", NODE.byteSize(), 2, 6)) {
      Flyweight v = new Flyweight(NODE, a);
      assertSame(v, v.wrap(a.allocate()));
      assertSame(v, v.wrap(a, a.allocate()));
      assertFalse(v.toString().contains("not wrapped"));
    }
  }
}
