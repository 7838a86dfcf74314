package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The slabinfo rendering follows /proc/slabinfo 2.1 column order. */
class SlabInfoTest {
  @Test
  void rendersOneLinePerCacheWithTheKernelColumns() {
    try (SlabCache a = SlabCache.builder("extent_state").objectSize(48).objectsPerSlab(85).build();
        SlabCache b = SlabCache.builder("buffer_head").objectSize(104).objectsPerSlab(39).build()) {
      long[] hs = new long[10];
      a.allocateBulk(hs, 10);
      String text = SlabInfo.render(List.of(a, b));
      String[] lines = text.lines().toArray(String[]::new);
      assertEquals(4, lines.length);
      assertEquals("slabinfo - version: 2.1", lines[0]);
      assertTrue(lines[1].startsWith("# name            <active_objs> <num_objs> <objsize>"));
      String[] f = lines[2].trim().split("\\s+", -1);
      assertEquals("extent_state", f[0]);
      assertEquals(10, Long.parseLong(f[1]), "active_objs counts objects out of the slabs");
      assertEquals(85, Long.parseLong(f[2]), "num_objs");
      assertEquals(48, Long.parseLong(f[3]), "objsize");
      assertEquals(85, Long.parseLong(f[4]), "objperslab");
      assertEquals(":", f[6]);
      assertEquals("tunables", f[7]);
      assertEquals("slabdata", f[12]);
      assertEquals(1, Long.parseLong(f[13]), "active_slabs");
      assertEquals(1, Long.parseLong(f[14]), "num_slabs");
      assertTrue(lines[3].startsWith("buffer_head"));
      a.freeBulk(hs, 10);
    }
  }
}
