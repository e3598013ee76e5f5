package org.softmax4j.bench;

import de.siegmar.fastcsv.reader.CsvRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;
import org.softmax4j.data.Table;

/**
 * CSV loading speed: Fashion-MNIST's training set written as CSV (60,000 rows of
 * 784 pixels and a label, about 130 MB), read into softmax4j's feature cache by
 * the parallel byte parser, by the same reader through FastCSV (one thread), and,
 * for scale, FastCSV alone iterating its records (Strings, nothing parsed). Each
 * run starts from an empty cache, so it includes writing and checksumming it.
 * Medians of the runs. pandas' read_csv is timed by bench/csv/run.sh on the same file.
 *
 * <p>usage: CsvLoad DIR [RUNS]: writes DIR/train.csv once, then times.
 */
public final class CsvLoad {
    private CsvLoad() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: CsvLoad DIR [RUNS]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Files.createDirectories(dir);
        Path csv = dir.resolve("train.csv");
        if (!Files.exists(csv))
            write(FashionMnist.load(FashionMnist.DEFAULT_DIR).train(), csv);
        double mb = Files.size(csv) / 1e6;
        System.out.printf(
                Locale.ROOT,
                "file: %s, %.1f MB; %d cores%n",
                csv,
                mb,
                Runtime.getRuntime().availableProcessors());
        String[] names = {
            "softmax4j (byte parser, all cores)",
            "softmax4j through FastCSV (1 thread)",
            "FastCSV records only (no parsing)"
        };
        double[][] seconds = new double[3][runs];
        for (int r = 0; r < runs; r++) { // interleaved, so that drifts in machine load hit all alike
            for (int way = 0; way < 3; way++) seconds[way][r] = time(way, csv, dir.resolve("cache-" + way + "-" + r));
        }
        for (int way = 0; way < 3; way++) {
            double[] s = seconds[way].clone();
            Arrays.sort(s);
            double med = s[runs / 2];
            System.out.printf(
                    Locale.ROOT,
                    "%-40s median %.3f s  %6.1f MB/s  (runs: %s)%n",
                    names[way],
                    med,
                    mb / med,
                    Arrays.toString(Arrays.stream(seconds[way])
                            .map(v -> Math.round(v * 1000) / 1000.0)
                            .toArray()));
        }
    }

    private static double time(int way, Path csv, Path cache) throws IOException {
        long t0 = System.nanoTime();
        switch (way) {
            case 0, 1 -> {
                if (way == 1) System.setProperty("softmax4j.csv.streaming", "true");
                try {
                    Dataset d = Table.csv(csv).label("label").cacheDir(cache).read();
                    if (d.size() != 60_000) throw new IllegalStateException("read " + d.size() + " rows");
                } finally {
                    System.clearProperty("softmax4j.csv.streaming");
                }
            }
            default -> {
                long fields = 0;
                try (var r = de.siegmar.fastcsv.reader.CsvReader.builder().ofCsvRecord(csv)) {
                    for (CsvRecord rec : r) fields += rec.getFieldCount();
                }
                if (fields != 60_001L * 785) throw new IllegalStateException(fields + " fields");
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        deleteTree(cache);
        return s;
    }

    private static void write(Dataset d, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int j = 0; j < d.features(); j++) w.write("p" + j + ",");
            w.write("label\n");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < d.size(); i++) {
                line.setLength(0);
                for (int j = 0; j < d.features(); j++)
                    line.append(d.pixel(i, j)).append(',');
                w.append(line).append(Integer.toString(d.label(i))).append('\n');
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            List<Path> all = new ArrayList<>(s.toList());
            all.sort(Comparator.reverseOrder());
            for (Path q : all) Files.delete(q);
        }
    }
}
