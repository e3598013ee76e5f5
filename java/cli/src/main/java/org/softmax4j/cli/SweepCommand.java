package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.cli.plot.SvgPlot;
import org.softmax4j.data.Dataset;
import org.softmax4j.train.Evaluation;
import org.softmax4j.train.Evaluator;
import org.softmax4j.train.TrainConfig;
import org.softmax4j.train.TrainResult;
import org.softmax4j.train.Trainer;
import org.softmax4j.train.TrainingListener;
import org.softmax4j.train.TrainingState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code softmax4j sweep}. */
@Command(
        header = "Compare learning rates or batch sizes: final train and validation loss.",
        name = "sweep",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Train once per learning rate or per batch size (the book's exercises) with "
                    + "the other settings of the book, and compare the final training and validation "
                    + "loss: a table, sweep.csv and a plot (sweep.svg, log-scaled x axis). The "
                    + "validation set is held out of the training set (seeded).",
            ""
        },
        footer = {
            "",
            "Examples: softmax4j sweep --lr 0.001,0.01,0.03,0.1,0.3,1",
            "          softmax4j sweep --batch-size          (1, 2, 4, ..., 2048)"
        })
final class SweepCommand implements Callable<Integer> {
    static final String DEFAULT_LRS = "0.001,0.01,0.03,0.1,0.3,1";
    static final String DEFAULT_BATCHES = "1,2,4,8,16,32,64,128,256,512,1024,2048";

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--lr",
            split = ",",
            paramLabel = "RATE",
            arity = "0..*",
            fallbackValue = DEFAULT_LRS,
            description = "Learning rates to compare; without values: " + DEFAULT_LRS + " (the default sweep).")
    List<String> lrs; // strings: picocli would call a bad number an "unmatched argument"

    @Option(
            names = "--batch-size",
            split = ",",
            paramLabel = "N",
            arity = "0..*",
            fallbackValue = DEFAULT_BATCHES,
            description = "Batch sizes to compare (at learning rate 0.1); without values: 1, 2, 4, ..., 2048.")
    List<String> batchSizes;

    @Option(
            names = "--epochs",
            paramLabel = "N",
            defaultValue = "10",
            description = "Epochs per run (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "0",
            description = "Seed of every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--val-fraction",
            paramLabel = "F",
            defaultValue = "0.1",
            description = "Fraction of the training set held out for validation (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Mixin
    DataOptions data;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    PictureOptions pictures;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory (default: runs/sweep-yyyyMMdd-HHmmss).")
    Path out;

    /** One run's outcome. */
    record Row(
            double value, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy, double seconds) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        if (lrs != null && batchSizes != null) throw new CliException("sweep either --lr or --batch-size, not both");
        boolean byLr = batchSizes == null;
        List<Double> values = new ArrayList<>();
        if (byLr) {
            values.addAll(parse("--lr", lrs != null ? lrs : List.of(DEFAULT_LRS.split(",")), false));
        } else {
            values.addAll(parse("--batch-size", batchSizes, true));
        }
        if (values.isEmpty()) throw new CliException("nothing to sweep");
        TrainConfig base;
        try {
            base = TrainConfig.book().toBuilder()
                    .epochs(epochs)
                    .seed(seed)
                    .valFraction(valFraction)
                    .build();
            for (double v : values) config(base, byLr, v);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
        if (valFraction <= 0)
            throw new CliException("--val-fraction must be > 0: the sweep compares validation losses");
        Kernels kernels = kernelOptions.kernels();
        Dataset trainingSet = data.splits(main.env, main.workDir, null, null, seed, false, null, null)
                .train();
        Path dir = Outputs.runDir(main.workDir, out, "sweep");
        String what = byLr ? "learning rate" : "batch size";
        stdout.printf(
                Locale.ROOT,
                "sweep over the %s: %d runs of %d epoch%s (%s), %.0f%% of the training set held out%n",
                what,
                values.size(),
                epochs,
                epochs == 1 ? "" : "s",
                byLr ? "batch 256" : "lr 0.1",
                100 * valFraction);
        stdout.printf(
                Locale.ROOT,
                "%12s  %10s  %9s  %10s  %9s  %7s%n",
                byLr ? "lr" : "batch size",
                "train loss",
                "train acc",
                "val loss",
                "val acc",
                "seconds");
        stdout.flush();

        List<Row> rows = new ArrayList<>();
        double sweepSeconds = 0;
        for (int k = 0; k < values.size(); k++) {
            double v = values.get(k);
            TrainConfig config = config(base, byLr, v);
            Trainer trainer = new Trainer(kernels, config);
            Dataset.Split split = trainer.split(trainingSet);
            long t0 = System.nanoTime();
            // On a terminal: run k/N and the sweep's ETA (from the runs so far) beside the run's own bar.
            String prefix = String.format(
                    Locale.ROOT,
                    "run %d/%d%s, %s %s: ",
                    k + 1,
                    values.size(),
                    k == 0 ? "" : " (sweep ETA " + ProgressBar.clock(sweepSeconds / k * (values.size() - k)) + ")",
                    byLr ? "lr" : "batch",
                    Reports.num(v).replaceAll("\\.0$", ""));
            TrainResult r;
            try (ProgressBar bar = main.interactive
                    ? new ProgressBar(
                            System.err,
                            prefix,
                            config.epochs(),
                            Math.min(config.batchSize(), split.train().size()))
                    : null) {
                r = trainer.run(
                        TrainingState.start(config, trainingSet.features(), trainingSet.classes()),
                        split.train(),
                        split.validation(),
                        null,
                        bar == null
                                ? TrainingListener.NONE
                                : new TrainingListener() {
                                    @Override
                                    public void onBatch(int epoch, int batch, int batches, double epochLoss) {
                                        bar.update(epoch, batch, batches, epochLoss);
                                    }
                                });
            }
            Evaluator evaluator =
                    new Evaluator(kernels, r.model().features(), r.model().classes());
            // The final training loss over the whole training split with the final weights,
            // comparable with the validation loss (not the running mean during the last epoch).
            Evaluation train = evaluator.evaluate(r.model(), split.train());
            Evaluation val = evaluator.evaluate(r.model(), split.validation());
            Row row = new Row(
                    v, train.loss(), train.accuracy(), val.loss(), val.accuracy(), (System.nanoTime() - t0) / 1e9);
            sweepSeconds += row.seconds();
            rows.add(row);
            stdout.printf(
                    Locale.ROOT,
                    "%12s  %10s  %9.4f  %10s  %9.4f  %7.2f%n",
                    Reports.num(v).replaceAll("\\.0$", ""),
                    lossText(row.trainLoss()),
                    row.trainAccuracy(),
                    lossText(row.valLoss()),
                    row.valAccuracy(),
                    row.seconds());
            stdout.flush();
        }
        Row best = rows.stream()
                .filter(r -> Double.isFinite(r.valLoss()))
                .min(java.util.Comparator.comparingDouble(Row::valLoss))
                .orElse(null);
        if (best != null) {
            stdout.printf(
                    Locale.ROOT,
                    "lowest validation loss: %s = %s (%.4f)%n",
                    what,
                    Reports.num(best.value()).replaceAll("\\.0$", ""),
                    best.valLoss());
        }
        writeCsv(dir.resolve("sweep.csv"), rows, byLr ? "lr" : "batch_size");
        pictures.write(dir, "sweep", plot(rows, what, best, base, byLr));
        stdout.println("outputs: " + Outputs.show(main.workDir, dir) + "/ (sweep.csv, " + pictures.file("sweep") + ")");
        stdout.flush();
        return 0;
    }

    private static String lossText(double loss) {
        return Double.isFinite(loss) ? String.format(Locale.ROOT, "%.4f", loss) : "diverged";
    }

    private static TrainConfig config(TrainConfig base, boolean byLr, double v) {
        if (byLr) return base.toBuilder().lr((float) v).build();
        if (v != Math.rint(v)) throw new IllegalArgumentException("batch size must be an integer: " + v);
        return base.toBuilder().batchSize((int) v).build();
    }

    /** The values of {@code option}: numbers, or whole numbers; a bad one is named. */
    private static List<Double> parse(String option, List<String> values, boolean whole) {
        List<Double> r = new ArrayList<>();
        for (String v : values) {
            try {
                r.add(whole ? (double) Integer.parseInt(v.trim()) : Double.parseDouble(v.trim()));
            } catch (NumberFormatException e) {
                throw new CliException(option + ": '" + v + "' is not " + (whole ? "a whole number" : "a number"));
            }
        }
        return r;
    }

    private static void writeCsv(Path file, List<Row> rows, String column) throws IOException {
        StringBuilder sb = new StringBuilder(column + ",train_loss,train_accuracy,val_loss,val_accuracy,seconds\n");
        for (Row r : rows) {
            sb.append(Reports.num(r.value()))
                    .append(',')
                    .append(Reports.num(r.trainLoss()))
                    .append(',')
                    .append(Reports.num(r.trainAccuracy()))
                    .append(',')
                    .append(Reports.num(r.valLoss()))
                    .append(',')
                    .append(Reports.num(r.valAccuracy()))
                    .append(',')
                    .append(Reports.num(r.seconds()))
                    .append('\n');
        }
        Files.writeString(file, sb, StandardCharsets.UTF_8);
    }

    /** Final losses against the swept value, the best marked, a diverged or outlying run off the scale. */
    private static String plot(List<Row> rows, String what, Row best, TrainConfig base, boolean byLr) {
        double[] x = rows.stream().mapToDouble(Row::value).toArray();
        double[] train = rows.stream().mapToDouble(Row::trainLoss).toArray();
        double[] val = rows.stream().mapToDouble(Row::valLoss).toArray();
        SvgPlot.Panel panel = new SvgPlot.Panel(
                        "final loss per " + what,
                        what + " (log scale)",
                        "cross-entropy",
                        true,
                        List.of(
                                new SvgPlot.Series("train", x, train, SvgPlot.COLORS[0], true),
                                new SvgPlot.Series("validation", x, val, SvgPlot.COLORS[1], false)),
                        SvgPlot.Legend.TOP_CENTER)
                .clipped();
        if (best != null)
            panel = panel.marked(
                    best.value(), "best: " + Reports.num(best.value()).replaceAll("\\.0$", ""));
        String settings = String.format(
                Locale.ROOT,
                "%d epoch%s each, %s, seed %d, %.0f%% held out for validation",
                base.epochs(),
                base.epochs() == 1 ? "" : "s",
                byLr ? "batch " + base.batchSize() : "lr " + Reports.plain(base.lr()),
                base.seed(),
                100 * base.valFraction());
        return SvgPlot.render(settings, List.of(panel));
    }
}
