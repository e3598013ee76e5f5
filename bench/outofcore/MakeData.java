import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a synthetic classification table bigger than a small heap, streamed:
 * DIR/X.npy (rows x features float32, C order) and DIR/y.npy (int32 labels).
 * A label is the argmax of a fixed random linear map of the features plus
 * Gumbel noise: learnable by softmax regression, not perfectly.
 *
 *   java bench/outofcore/MakeData.java DIR ROWS FEATURES CLASSES
 */
public class MakeData {
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long rows = Long.parseLong(args[1]);
        int d = Integer.parseInt(args[2]), c = Integer.parseInt(args[3]);
        SplittableRandom rng = new SplittableRandom(1);
        float[] w = new float[d * c];
        for (int i = 0; i < w.length; i++) w[i] = (float) (gauss(rng) * 3 / Math.sqrt(d));
        Files.createDirectories(dir);
        try (OutputStream x = npy(dir.resolve("X.npy"), "<f4", "(" + rows + ", " + d + ")");
                OutputStream y = npy(dir.resolve("y.npy"), "<i4", "(" + rows + ",)")) {
            ByteBuffer xb = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer yb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            float[] row = new float[d];
            for (long r = 0; r < rows; r++) {
                xb.clear();
                for (int j = 0; j < d; j++) xb.putFloat(row[j] = (float) (gauss(rng) * 2 + 1));
                int best = 0;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) {
                    double s = -Math.log(-Math.log(rng.nextDouble(1e-300, 1.0))); // Gumbel
                    for (int j = 0; j < d; j++) s += row[j] * w[j * c + k];
                    if (s > bestScore) { bestScore = s; best = k; }
                }
                x.write(xb.array());
                y.write(yb.clear().putInt(best).array());
            }
        }
        System.out.printf("wrote %s/X.npy (%d x %d float32, %.2f GB) and y.npy (%d classes)%n",
                dir, rows, d, rows * d * 4 / 1e9, c);
    }

    private static double gauss(SplittableRandom rng) { // Box-Muller, one of the pair
        return Math.sqrt(-2 * Math.log(rng.nextDouble(1e-300, 1.0))) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    /** An .npy file (format 1.0) with its header written; the caller writes the data. */
    private static OutputStream npy(Path file, String descr, String shape) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
        ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) header.length());
        out.write(b.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        return out;
    }
}
