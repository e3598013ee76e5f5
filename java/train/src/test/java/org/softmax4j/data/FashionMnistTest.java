package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locating and loading the four files of Fashion-MNIST (small synthetic stand-ins). */
class FashionMnistTest {
    @TempDir
    Path dir;

    /** Writes a small Fashion-MNIST-shaped data set into dir (train n, test m images). */
    static void writeFake(Path dir, int n, int m, boolean gzip) throws IOException {
        Files.createDirectories(dir);
        write(dir, "train", n, gzip, 1);
        write(dir, "t10k", m, gzip, 2);
    }

    private static void write(Path dir, String prefix, int count, boolean gzip, long seed) throws IOException {
        byte[] pixels = new byte[count * 784];
        byte[] labels = new byte[count];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % 10);
            for (int j = 0; j < 784; j++) pixels[i * 784 + j] = (byte) rnd.nextInt(256);
        }
        String suffix = gzip ? ".gz" : "";
        IdxWriter.write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix), new int[] {count, 28, 28}, pixels, gzip);
        IdxWriter.write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix), new int[] {count}, labels, gzip);
    }

    @Test
    void loadsGzippedAndRawFiles() throws IOException {
        writeFake(dir.resolve("gz"), 30, 20, true);
        writeFake(dir.resolve("raw"), 30, 20, false);
        for (String sub : new String[] {"gz", "raw"}) {
            FashionMnist d = FashionMnist.load(dir.resolve(sub));
            assertEquals(30, d.train().size());
            assertEquals(20, d.test().size());
            assertEquals(784, d.train().features());
            assertEquals(10, d.test().classes());
            assertEquals(7, d.train().label(7));
        }
    }

    @Test
    void missingDirectorySaysHowToInstall() {
        Path missing = dir.resolve("absent");
        String m = assertThrows(DataException.class, () -> FashionMnist.load(missing))
                .getMessage();
        assertTrue(m.contains(missing.toString()), m);
        assertTrue(m.contains("sudo apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("https://github.com/zalandoresearch/fashion-mnist"), m);
        assertTrue(m.contains("--data"), m);
    }

    @Test
    void missingFileIsNamed() throws IOException {
        writeFake(dir, 10, 10, true);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        String m =
                assertThrows(DataException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.contains("t10k-labels-idx1-ubyte.gz") && m.contains("apt-get"), m);
    }

    @Test
    void imageLabelCountMismatch() throws IOException {
        writeFake(dir, 10, 10, true);
        IdxWriter.write(dir.resolve("train-labels-idx1-ubyte.gz"), new int[] {9}, new byte[9], true);
        String m =
                assertThrows(DataException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.contains("has 10 images but") && m.contains("has 9 labels"), m);
        assertTrue(m.contains("train-images-idx3-ubyte.gz") && m.contains("train-labels-idx1-ubyte.gz"), m);
    }

    @Test
    void brokenTrainingImagesAreReportedFromTheBackgroundReader() throws IOException {
        writeFake(dir, 10, 10, true);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), new byte[] {1, 2, 3, 4, 5});
        String m =
                assertThrows(DataException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.contains("train-images-idx3-ubyte.gz") && m.contains("bad magic"), m);
    }

    @Test
    void directoryResolution() {
        Path flag = Path.of("/x");
        assertEquals(flag, FashionMnist.resolveDir(flag, Map.of(FashionMnist.ENV, "/y")));
        assertEquals(Path.of("/y"), FashionMnist.resolveDir(null, Map.of(FashionMnist.ENV, "/y")));
        assertEquals(FashionMnist.DEFAULT_DIR, FashionMnist.resolveDir(null, Map.of(FashionMnist.ENV, " ")));
        assertEquals(FashionMnist.DEFAULT_DIR, FashionMnist.resolveDir(null, Map.of()));
    }
}
