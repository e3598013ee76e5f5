package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShuffleTest {
    @Test
    void windowedShuffleIsASeededPermutationThatKeepsEachWindowToFewBlocks() {
        long seed = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 1 + rng.nextInt(200_000), blockRows = 1 + rng.nextInt(500);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = 3 * i + 1; // stored rows of a split: increasing, with gaps
        int[] a = rows.clone(), b = rows.clone(), c = rows.clone();
        Trainer.shuffle(a, 42, blockRows);
        Trainer.shuffle(b, 42, blockRows);
        Trainer.shuffle(c, 43, blockRows);
        String at = "seed " + seed + ", n " + n + ", blockRows " + blockRows;
        assertArrayEquals(a, b, at);
        if (n > 2 * blockRows) assertFalse(Arrays.equals(a, c), at);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        assertArrayEquals(rows, sorted, at);
        // windows of WINDOW_BLOCKS blocks (one may be short), found by the blocks their rows come from
        int windowsSeen = 0, blocksInWindow = 0, expectedBlocks = (n + blockRows - 1) / blockRows;
        Set<Integer> window = new HashSet<>(), all = new HashSet<>();
        int filled = 0;
        for (int i = 0; i < n; i++) {
            int block = ((a[i] - 1) / 3) / blockRows;
            window.add(block);
            all.add(block);
            assertTrue(window.size() <= Trainer.WINDOW_BLOCKS, at + ": row " + i + " is a 17th block's");
            filled++;
            int need = 0;
            for (int bl : window) need += Math.min(blockRows, n - bl * blockRows);
            if (filled == need && (window.size() == Trainer.WINDOW_BLOCKS || all.size() == expectedBlocks)) {
                window.clear(); // the window is complete
                filled = 0;
                windowsSeen++;
            }
        }
        assertEquals(0, filled, at + ": rows left over from an incomplete window");
        assertEquals((expectedBlocks + Trainer.WINDOW_BLOCKS - 1) / Trainer.WINDOW_BLOCKS, windowsSeen, at);
    }

    @Test
    void plainShuffleBelowTheThreshold() {
        int[] a = new int[1000], b = new int[1000];
        Arrays.setAll(a, i -> i);
        Arrays.setAll(b, i -> i);
        Trainer.shuffle(a, 7, 0);
        Trainer.shuffle(b, 7, 1000); // one block: the same plain shuffle
        assertArrayEquals(a, b);
        SplittableRandom rnd = new SplittableRandom(7); // Fisher-Yates as documented
        int[] expected = new int[1000];
        Arrays.setAll(expected, i -> i);
        for (int i = 999; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = expected[i];
            expected[i] = expected[j];
            expected[j] = t;
        }
        assertArrayEquals(expected, a);
        assertEquals(
                0,
                Trainer.blockRows(org.softmax4j.data.Dataset.of("small", new byte[784 * 10], new byte[10], 784, 10)));
    }
}
