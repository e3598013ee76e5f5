package org.softmax4j.spark;

import java.util.SplittableRandom;

/**
 * A seeded pseudo-random permutation of {@code [0, n)} evaluated one index
 * at a time in O(1) memory: a four-round Feistel network on the smallest
 * even number of bits that holds n, with cycle walking back into range
 * (under four encryptions per index on average). An SGD step thus reads its
 * slice of the epoch's shuffle without the partition holding, or
 * recomputing, the whole shuffled order.
 */
final class Permutation {
    private static final int ROUNDS = 4;

    private final long n;
    private final int halfBits;
    private final long mask;
    private final long[] keys = new long[ROUNDS];

    Permutation(long n, long seed) {
        if (n < 0) throw new IllegalArgumentException("n = " + n + " must be >= 0");
        this.n = n;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(Math.max(n - 1, 1)));
        halfBits = (bits + 1) / 2;
        mask = (1L << halfBits) - 1;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < ROUNDS; r++) keys[r] = rnd.nextLong();
    }

    /** The image of i, for i in [0, n). */
    long apply(long i) {
        if (i < 0 || i >= n) throw new IllegalArgumentException("index " + i + " is outside [0, " + n + ")");
        long v = i;
        do {
            v = encrypt(v);
        } while (v >= n);
        return v;
    }

    private long encrypt(long v) {
        long left = v >>> halfBits, right = v & mask;
        for (int r = 0; r < ROUNDS; r++) {
            long next = left ^ (mix(right ^ keys[r]) & mask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
