package org.softmax4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.softmax4j.data.IdxWriter;

/** A small, learnable stand-in for Fashion-MNIST (28x28 images, 10 classes) in the real file layout. */
final class FakeFashionMnist {
    private FakeFashionMnist() {}

    static Path write(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom protoRnd = new SplittableRandom(99);
        int[][] proto = new int[10][784];
        for (int[] p : proto) for (int j = 0; j < 784; j++) p[j] = protoRnd.nextInt(256);
        write(dir, "train", train, proto, 1);
        write(dir, "t10k", test, proto, 2);
        return dir;
    }

    private static void write(Path dir, String prefix, int n, int[][] proto, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] pixels = new byte[n * 784];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = rnd.nextInt(10);
            // 3% wrong labels: some mistakes for 'misclassified' to show
            labels[i] = (byte) (rnd.nextInt(100) < 3 ? rnd.nextInt(10) : c);
            for (int j = 0; j < 784; j++) {
                int v = proto[c][j] + rnd.nextInt(301) - 150; // noise
                pixels[i * 784 + j] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        IdxWriter.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), new int[] {n, 28, 28}, pixels, true);
        IdxWriter.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), new int[] {n}, labels, true);
    }
}
