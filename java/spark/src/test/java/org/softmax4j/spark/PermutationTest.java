package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PermutationTest {

    @Test
    void isABijectionOfEverySize() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        for (int n : new int[] {1, 2, 3, 5, 64, 65, 1000, 4097, 30_001}) {
            Permutation p = new Permutation(n, rnd.nextLong());
            BitSet seen = new BitSet(n);
            int fixed = 0;
            for (int i = 0; i < n; i++) {
                long v = p.apply(i);
                assertTrue(v >= 0 && v < n, n + ": image " + v);
                assertTrue(!seen.get((int) v), n + ": " + v + " twice");
                seen.set((int) v);
                if (v == i) fixed++;
            }
            assertEquals(n, seen.cardinality());
            if (n >= 1000) assertTrue(fixed < n / 50, n + ": " + fixed + " fixed points is no shuffle");
        }
    }

    @Test
    void dependsOnTheSeed() {
        Permutation a = new Permutation(10_000, 1), b = new Permutation(10_000, 2), a2 = new Permutation(10_000, 1);
        int same = 0;
        for (int i = 0; i < 10_000; i++) {
            assertEquals(a.apply(i), a2.apply(i));
            if (a.apply(i) == b.apply(i)) same++;
        }
        assertNotEquals(10_000, same);
        assertTrue(same < 100, same + " equal images");
    }

    @Test
    void rejectsIndicesOutOfRange() {
        Permutation p = new Permutation(10, 3);
        assertThrows(IllegalArgumentException.class, () -> p.apply(10));
        assertThrows(IllegalArgumentException.class, () -> p.apply(-1));
        assertThrows(IllegalArgumentException.class, () -> new Permutation(-1, 3));
    }
}
