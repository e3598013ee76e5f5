package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetTest {
    private static Dataset data(int n) {
        byte[] pixels = new byte[n * 3];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % 4);
            pixels[3 * i] = (byte) i;
        }
        return Dataset.of("d", pixels, labels, 3, 4);
    }

    @Test
    void splitIsSeededDisjointCompleteAndOrdered() {
        Dataset d = data(1000);
        Dataset.Split a = d.split(0.2, 7), b = d.split(0.2, 7), c = d.split(0.2, 8);
        assertEquals(200, a.validation().size());
        assertEquals(800, a.train().size());
        assertArrayEquals(a.validation().sourceRowsCopy(), b.validation().sourceRowsCopy());
        assertFalse(
                Arrays.equals(a.validation().sourceRowsCopy(), c.validation().sourceRowsCopy()));
        Set<Integer> seen = new HashSet<>();
        for (int r : a.train().sourceRowsCopy()) assertTrue(seen.add(r));
        for (int r : a.validation().sourceRowsCopy()) assertTrue(seen.add(r));
        assertEquals(1000, seen.size());
        int[] rows = a.train().sourceRowsCopy();
        for (int i = 1; i < rows.length; i++) assertTrue(rows[i - 1] < rows[i]);
        assertEquals(a.train().sourceRow(5) % 4, a.train().label(5));
        assertEquals(a.train().sourceRow(5) & 0xff, a.train().pixel(5, 0));
        assertEquals(0, d.split(0, 1).validation().size());
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> Dataset.of("x", new byte[5], new byte[2], 3, 4));
        assertThrows(IllegalArgumentException.class, () -> Dataset.of("x", new byte[3], new byte[] {4}, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> data(10).split(1.0, 1));
        assertArrayEquals(new int[] {3, 3, 2, 2}, data(10).classCounts());
        assertEquals(4, data(10).head(4).size());
    }
}
