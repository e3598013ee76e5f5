package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Features;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.Table;

/**
 * Training from the memory-mapped cache of a file gives bit-identical
 * weights to training on the same numbers held in a Java array.
 */
class OutOfCoreTest {
    @TempDir
    Path dir;

    @Test
    void mappedCacheTrainsLikeTheHeap() throws IOException {
        long seed = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 1000 + rng.nextInt(2000), d = 1 + rng.nextInt(40), c = 2 + rng.nextInt(8);
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % c; // every class present, so both sides number the classes alike
            for (int j = 0; j < d; j++) x[i * d + j] = (float) (rng.nextGaussian() * 3 + (j % c == y[i] ? 2 : 0));
        }
        Path xf = npy(
                dir.resolve("X.npy"),
                "<f4",
                "(" + n + ", " + d + ")",
                4L * n * d,
                b -> b.asFloatBuffer().put(x));
        Path yf = npy(
                dir.resolve("y.npy"),
                "<i4",
                "(" + n + ",)",
                4L * n,
                b -> b.asIntBuffer().put(y));

        SoftmaxClassifier clf = SoftmaxClassifier.builder()
                .epochs(3)
                .batchSize(64)
                .learningRate(0.1f)
                .seed(seed)
                .scale("standard")
                .build();
        Dataset mapped = Table.npy(xf, yf).cacheDir(dir.resolve("cache")).read();
        assertTrue(mapped.matrix().data().isMapped(), "the file's features come from a mapping");
        Model fromFile = clf.fit(mapped);
        Dataset heap = Dataset.of(
                "heap", Features.ofFloats(x, d), y, mapped.classNames(), mapped.featureNames(), Scaler.none());
        Model fromHeap = clf.fit(heap);

        String at = "seed " + seed + ", n " + n + ", d " + d + ", c " + c;
        assertEquals(fromHeap.scaler(), fromFile.scaler(), at);
        assertArrayEquals(fromHeap.weights().weights(), fromFile.weights().weights(), 0f, at);
        assertArrayEquals(fromHeap.weights().bias(), fromFile.weights().bias(), 0f, at);
    }

    private interface Fill {
        void into(ByteBuffer data);
    }

    /** A version 1.0 .npy file: magic, padded header, then the data. */
    private static Path npy(Path file, String descr, String shape, long bytes, Fill fill) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n"; // 10 + header: a multiple of 64
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(10 + header.length() + bytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        fill.into(b.slice().order(ByteOrder.LITTLE_ENDIAN));
        Files.write(file, b.array());
        return file;
    }
}
