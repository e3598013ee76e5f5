package org.softmax4j.train;

import java.util.SplittableRandom;
import org.softmax4j.data.Dataset;

/** Small synthetic data sets of uint8 features for the trainer's tests. */
final class Synthetic {
    private Synthetic() {}

    /**
     * n examples of {@code features} unsigned bytes in {@code classes} well
     * separated clusters: a random prototype per class plus uniform noise of
     * +-noise, so a linear classifier can reach (almost) perfect accuracy.
     */
    static Dataset clusters(String name, int n, int features, int classes, int noise, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SplittableRandom protoRnd = new SplittableRandom(12345); // same prototypes for every split
        int[][] proto = new int[classes][features];
        for (int[] p : proto) for (int j = 0; j < features; j++) p[j] = protoRnd.nextInt(256);
        byte[] pixels = new byte[n * features];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = rnd.nextInt(classes);
            labels[i] = (byte) c;
            for (int j = 0; j < features; j++) {
                int v = proto[c][j] + rnd.nextInt(2 * noise + 1) - noise;
                pixels[i * features + j] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        return Dataset.of(name, pixels, labels, features, classes);
    }

    /** Random bytes and random labels (nothing to learn). */
    static Dataset noise(String name, int n, int features, int classes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] pixels = new byte[n * features];
        rnd.nextBytes(pixels);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) rnd.nextInt(classes);
        return Dataset.of(name, pixels, labels, features, classes);
    }
}
