package org.softmax4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.softmax4j.cli.plot.Heatmap;
import org.softmax4j.cli.plot.SvgPlot;
import org.softmax4j.train.ConfusionMatrix;
import org.softmax4j.train.EpochMetrics;
import org.softmax4j.train.LrSchedule;
import org.softmax4j.train.TrainConfig;

/** Text tables, CSV, JSON and SVG curves of the CLI's results. */
final class Reports {
    private Reports() {}

    /** Classes up to which a confusion matrix is counted (C x C longs: 8 MB at 1,000) and written. */
    static final int CONFUSION_MAX_CLASSES = 1000;

    /** Classes up to which the terminal shows the whole table (beyond: the largest confusions). */
    static final int TABLE_MAX_CLASSES = 30;

    /** The confusion matrix of predictions on data, or null above {@link #CONFUSION_MAX_CLASSES}. */
    static ConfusionMatrix confusion(org.softmax4j.data.Dataset data, int[] predictions) {
        return data.classes() <= CONFUSION_MAX_CLASSES ? ConfusionMatrix.of(data, predictions) : null;
    }

    /**
     * The confusion matrix as a text table with recall per row and precision per
     * column; for many classes the five largest confusions; null: not counted.
     */
    static String confusionTable(ConfusionMatrix cm, List<String> names, int classes) {
        if (cm == null) {
            return String.format(
                    Locale.ROOT,
                    "confusion matrix: not counted for %,d classes (at most %,d)%n",
                    classes,
                    CONFUSION_MAX_CLASSES);
        }
        if (cm.classes() > TABLE_MAX_CLASSES) return largestConfusions(cm, names);
        int c = cm.classes();
        int nameWidth = 4;
        for (int k = 0; k < c; k++)
            nameWidth = Math.max(nameWidth, rowName(names, k).length() + 1);
        long most = 0; // columns as wide as the largest count, and at least 6
        for (long[] row : cm.counts()) for (long v : row) most = Math.max(most, v);
        int w = Math.max(6, Long.toString(most).length() + 2);
        StringBuilder sb = new StringBuilder();
        sb.append("confusion matrix (rows: true class, columns: predicted class)\n");
        sb.append(" ".repeat(nameWidth));
        for (int k = 0; k < c; k++) sb.append(String.format(Locale.ROOT, "%" + w + "d", k));
        sb.append("  recall\n");
        for (int t = 0; t < c; t++) {
            sb.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", rowName(names, t)));
            for (int p = 0; p < c; p++) sb.append(String.format(Locale.ROOT, "%" + w + "d", cm.counts()[t][p]));
            sb.append(String.format(Locale.ROOT, "  %6.3f%n", cm.recall(t)));
        }
        sb.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", "precision"));
        for (int p = 0; p < c; p++) {
            sb.append(
                    String.format(Locale.ROOT, "%" + w + ".3f", cm.precision(p)).replace("0.", " ."));
        }
        sb.append('\n');
        return sb.toString();
    }

    /** The five largest off-diagonal counts, for matrices too wide for a terminal. */
    private static String largestConfusions(ConfusionMatrix cm, List<String> names) {
        record Cell(int t, int p, long n) {}
        java.util.PriorityQueue<Cell> top = new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Cell::n));
        long[][] m = cm.counts();
        for (int t = 0; t < m.length; t++) {
            for (int p = 0; p < m.length; p++) {
                if (t == p || m[t][p] == 0) continue;
                top.add(new Cell(t, p, m[t][p]));
                if (top.size() > 5) top.poll();
            }
        }
        List<Cell> cells = new ArrayList<>(top);
        cells.sort(java.util.Comparator.comparingLong(Cell::n).reversed());
        StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT, "confusion matrix: %,d classes (all of it in confusion.csv); most confused:%n", m.length));
        for (Cell x : cells) {
            sb.append(String.format(
                    Locale.ROOT,
                    "  %s predicted as %s: %,d of %,d (%.1f%%)%n",
                    label(names, x.t()),
                    label(names, x.p()),
                    x.n(),
                    java.util.Arrays.stream(m[x.t()]).sum(),
                    100.0
                            * x.n()
                            / Math.max(1, java.util.Arrays.stream(m[x.t()]).sum())));
        }
        if (cells.isEmpty()) sb.append("  none\n");
        return sb.toString();
    }

    /** "3 Dress", or "3" where the class's name is its number. */
    private static String rowName(List<String> names, int k) {
        String name = label(names, k);
        return name.equals(Integer.toString(k)) ? name : k + " " + name;
    }

    static String label(List<String> names, int k) {
        return k < names.size() ? names.get(k) : "class " + k;
    }

    /**
     * One line per epoch, at most 100 characters, e.g.
     * {@code epoch  3/10  train 0.5259 0.8256 | test 0.5400 0.8100 | lr 1.00e-01 | 1.23M/s};
     * {@link #EPOCH_LEGEND} explains it.
     */
    static String epochLine(EpochMetrics m, int epochs, boolean best) {
        StringBuilder sb = new StringBuilder(100);
        int w = Integer.toString(epochs).length();
        sb.append(String.format(
                Locale.ROOT,
                "epoch %" + w + "d/%d  train %.4f %s",
                m.epoch(),
                epochs,
                m.trainLoss(),
                Double.isNaN(m.trainAccuracy()) ? "   -  " : String.format(Locale.ROOT, "%.4f", m.trainAccuracy())));
        if (m.hasValidation()) {
            sb.append(String.format(Locale.ROOT, " | val %.4f %.4f%s", m.valLoss(), m.valAccuracy(), best ? "*" : " "));
        }
        if (m.hasTest()) {
            sb.append(String.format(Locale.ROOT, " | test %.4f %.4f", m.testLoss(), m.testAccuracy()));
        }
        sb.append(" | lr ")
                .append(lr(m.lr()))
                .append(" | ")
                .append(compact(m.samplesPerSecond()))
                .append("/s");
        return sb.toString();
    }

    /** The line before the first {@link #epochLine}. */
    static String epochLegend(boolean earlyStopping) {
        return "per split: loss accuracy (train: mean over the epoch's steps) | lr | samples/s"
                + (earlyStopping ? "; * lowest val loss yet, its weights kept" : "");
    }

    /** Three decimals, rounded down: 0.9996 is "0.999", never a "1.000" that the softmax cannot reach. */
    static String probability(double p) {
        return String.format(Locale.ROOT, "%.3f", Math.floor(p * 1000) / 1000);
    }

    /** A learning rate in the terminal: always three significant digits, e.g. 1.00e-01, 7.74e-05. */
    static String lr(double lr) {
        return String.format(Locale.ROOT, "%.2e", lr);
    }

    /** 1234567 as "1.23M", 845123 as "845k", 999 as "999". */
    static String compact(double v) {
        double a = Math.abs(v);
        if (!(a >= 999.5)) return String.format(Locale.ROOT, "%.0f", v);
        String[] units = {"k", "M", "G", "T"};
        int u = -1;
        while (a >= 999.5 && u < units.length - 1) {
            a /= 1000;
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, a >= 99.95 ? "%.0f%s" : a >= 9.995 ? "%.1f%s" : "%.2f%s", v, units[u]);
    }

    /** 1234567.8 as "1,234,568". */
    static String grouped(double v) {
        return String.format(Locale.ROOT, "%,d", Math.round(v));
    }

    /** A float as typed: 0.1, 0, 1e-4 rather than 0.1, 0.0, 1.0E-4. */
    static String plain(float v) {
        String s = Float.toString(v);
        if (s.contains("E")) {
            s = new java.math.BigDecimal(s)
                    .stripTrailingZeros()
                    .toString()
                    .replace("E", "e")
                    .replace("e+", "e");
        }
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    /** Settings as one line. */
    static String describe(TrainConfig c) {
        return String.format(
                Locale.ROOT,
                "epochs %d, batch %d, lr %s (%s), momentum %s, weight decay %s, " + "seed %d, %s%s",
                c.epochs(),
                c.batchSize(),
                plain(c.lr()),
                c.schedule().describe(),
                plain(c.momentum()),
                plain(c.weightDecay()),
                c.seed(),
                c.shuffle() ? "shuffled" : "not shuffled",
                c.valFraction() > 0
                        ? String.format(
                                Locale.ROOT,
                                ", validation %.0f%%%s",
                                100 * c.valFraction(),
                                c.patience() > 0 ? ", early stopping (patience " + c.patience() + ")" : "")
                        : "");
    }

    // ---- files ---------------------------------------------------------------

    /**
     * confusion.csv (counts, true class per row) and, up to
     * {@link Heatmap#MAX_CLASSES} classes, confusion.svg or .png (a row-normalised heatmap).
     */
    static void writeConfusion(
            Path dir, ConfusionMatrix cm, List<String> names, String title, String subtitle, PictureOptions pictures)
            throws IOException {
        StringBuilder sb = new StringBuilder("true\\predicted");
        for (String n : names) sb.append(',').append(csvCell(n));
        sb.append('\n');
        for (int t = 0; t < cm.classes(); t++) {
            sb.append(csvCell(names.get(t)));
            for (long v : cm.counts()[t]) sb.append(',').append(v);
            sb.append('\n');
        }
        Files.writeString(dir.resolve("confusion.csv"), sb, StandardCharsets.UTF_8);
        if (cm.classes() <= Heatmap.MAX_CLASSES) {
            pictures.write(dir, "confusion", Heatmap.confusion(title, subtitle, names, cm.counts()));
        }
    }

    /** Metrics per epoch as CSV (empty cells where not measured). */
    static void writeMetricsCsv(Path file, List<EpochMetrics> history) throws IOException {
        StringBuilder sb = new StringBuilder("epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,"
                + "test_loss,test_accuracy,train_seconds,samples_per_second\n");
        for (EpochMetrics m : history) {
            sb.append(m.epoch())
                    .append(',')
                    .append(num(m.lr()))
                    .append(',')
                    .append(num(m.trainLoss()))
                    .append(',')
                    .append(num(m.trainAccuracy()))
                    .append(',')
                    .append(num(m.valLoss()))
                    .append(',')
                    .append(num(m.valAccuracy()))
                    .append(',')
                    .append(num(m.testLoss()))
                    .append(',')
                    .append(num(m.testAccuracy()))
                    .append(',')
                    .append(num(m.trainSeconds()))
                    .append(',')
                    .append(num(m.samplesPerSecond()))
                    .append('\n');
        }
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    /** A number for CSV/JSON: empty/null when NaN. */
    static String num(double v) {
        if (!Double.isFinite(v)) return "";
        return Double.toString(v);
    }

    /** A float as its shortest decimal that reads back to it (0.1, not 0.10000000149011612). */
    static String num(float v) {
        return Float.isFinite(v) ? Float.toString(v) : "";
    }

    static String jsonNum(float v) {
        return Float.isFinite(v) ? Float.toString(v) : "null";
    }

    static String jsonNum(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /** A CSV cell: quoted (RFC 4180) when it holds a comma, quote or line break. */
    static String csvCell(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** The config as a JSON object. */
    static String configJson(TrainConfig c) {
        LrSchedule s = c.schedule();
        String schedule = switch (s) {
            case LrSchedule.Constant k -> "{\"kind\": \"constant\"}";
            case LrSchedule.Step st ->
                "{\"kind\": \"step\", \"every_epochs\": " + st.everyEpochs() + ", \"gamma\": " + st.gamma() + "}";
            case LrSchedule.Cosine co -> "{\"kind\": \"cosine\", \"min_fraction\": " + co.minFraction() + "}";
        };
        return "{\"epochs\": " + c.epochs() + ", \"batch_size\": " + c.batchSize() + ", \"lr\": " + c.lr()
                + ", \"momentum\": " + c.momentum() + ", \"weight_decay\": " + c.weightDecay()
                + ", \"schedule\": " + schedule + ", \"seed\": " + c.seed() + ", \"shuffle\": " + c.shuffle()
                + ", \"val_fraction\": " + c.valFraction() + ", \"patience\": " + c.patience()
                + ", \"init_std\": " + c.initStd() + "}";
    }

    /** Per-epoch metrics as a JSON array. */
    static String historyJson(List<EpochMetrics> history, String indent) {
        List<String> rows = new ArrayList<>();
        for (EpochMetrics m : history) {
            rows.add(indent + "  {\"epoch\": " + m.epoch() + ", \"lr\": " + jsonNum(m.lr())
                    + ", \"train_loss\": " + jsonNum(m.trainLoss()) + ", \"train_accuracy\": "
                    + jsonNum(m.trainAccuracy()) + ", \"val_loss\": " + jsonNum(m.valLoss())
                    + ", \"val_accuracy\": " + jsonNum(m.valAccuracy()) + ", \"test_loss\": "
                    + jsonNum(m.testLoss()) + ", \"test_accuracy\": " + jsonNum(m.testAccuracy())
                    + ", \"train_seconds\": " + jsonNum(m.trainSeconds()) + ", \"samples_per_second\": "
                    + jsonNum(m.samplesPerSecond()) + "}");
        }
        return rows.isEmpty() ? "[]" : "[\n" + String.join(",\n", rows) + "\n" + indent + "]";
    }

    static String matrixJson(ConfusionMatrix cm) {
        List<String> rows = new ArrayList<>();
        for (long[] row : cm.counts()) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < row.length; i++) sb.append(i == 0 ? "" : ", ").append(row[i]);
            rows.add(sb.append(']').toString());
        }
        return "[" + String.join(", ", rows) + "]";
    }

    /**
     * Loss and accuracy per epoch, two panels as in the book's plots, under the
     * run's settings; the kept epoch of early stopping ({@code bestEpoch} > 0) marked.
     */
    static String curvesSvg(List<EpochMetrics> history, String title, String settings, int bestEpoch) {
        int n = history.size();
        double[] epoch = new double[n];
        double[][] v = new double[6][n];
        for (int i = 0; i < n; i++) {
            EpochMetrics m = history.get(i);
            epoch[i] = m.epoch();
            v[0][i] = m.trainLoss();
            v[1][i] = m.valLoss();
            v[2][i] = m.testLoss();
            v[3][i] = m.trainAccuracy();
            v[4][i] = m.valAccuracy();
            v[5][i] = m.testAccuracy();
        }
        String[] names = {"train", "validation", "test"};
        List<SvgPlot.Series> loss = new ArrayList<>(), acc = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            if (java.util.Arrays.stream(v[k]).allMatch(Double::isNaN)) continue;
            loss.add(new SvgPlot.Series(names[k] + " loss", epoch, v[k], SvgPlot.COLORS[k], k == 0));
            acc.add(new SvgPlot.Series(names[k] + " acc", epoch, v[k + 3], SvgPlot.COLORS[k], k == 0));
        }
        SvgPlot.Panel lossPanel = new SvgPlot.Panel(title + ": loss", "epoch", "cross-entropy", false, loss);
        SvgPlot.Panel accPanel =
                new SvgPlot.Panel(title + ": accuracy", "epoch", "accuracy", false, acc, SvgPlot.Legend.BOTTOM_RIGHT);
        if (bestEpoch > 0) {
            lossPanel = lossPanel.marked(bestEpoch, "best val loss: epoch " + bestEpoch);
            accPanel = accPanel.marked(bestEpoch, "weights of epoch " + bestEpoch + " kept");
        }
        return SvgPlot.render(settings, List.of(lossPanel, accPanel));
    }
}
