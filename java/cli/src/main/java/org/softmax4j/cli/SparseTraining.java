package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.softmax4j.Kernels;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.data.DataException;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.SparseDataset;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.data.TextFeatures;
import org.softmax4j.train.Checkpoint;
import org.softmax4j.train.EpochMetrics;
import org.softmax4j.train.Evaluation;
import org.softmax4j.train.SparseTrainer;
import org.softmax4j.train.TrainConfig;
import org.softmax4j.train.TrainingListener;

/**
 * {@code softmax4j train} on sparse rows: raw text (documents to hashed word
 * n-gram rows, {@link TextFeatures}, kept in the model so that it predicts
 * from raw text) or a LIBSVM file of more than {@link #SPARSE_FEATURES}
 * features, kept sparse; sparse SGD ({@link SparseTrainer}). The numeric
 * path's outputs, less what needs the dense trainer (resume, early stopping,
 * pictures of the confusion).
 */
final class SparseTraining {
    /** LIBSVM files with more features than this train (and predict) sparse. */
    static final int SPARSE_FEATURES = 65_536;

    private SparseTraining() {}

    /** Whether {@code file} (LIBSVM, by its name) has more features than a dense batch should hold. */
    static boolean sparseLibsvm(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!(n.endsWith(".svm") || n.endsWith(".libsvm") || n.endsWith(".svmlight")) || !Files.isRegularFile(file)) {
            return false;
        }
        try {
            return org.softmax4j.data.Table.libsvmFeatures(file) > SPARSE_FEATURES;
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    static int run(TrainCommand cmd, TrainConfig config, PrintWriter stdout, PrintWriter stderr) throws IOException {
        Main main = cmd.main;
        if (cmd.resume != null || cmd.stopAfter != null || cmd.checkpointEvery > 0) {
            throw new CliException("--resume, --stop-after and --checkpoint-every are not offered for sparse rows "
                    + "(text, wide LIBSVM) yet");
        }
        if (cmd.scale != null)
            throw new CliException("--scale is for numeric features; text rows are --tfidf / --no-normalize");
        Path dir = Outputs.runDir(main.workDir, cmd.out, "train");
        Outputs.claim(main.workDir, dir, cmd.overwrite, null);
        Kernels kernels = cmd.kernelOptions.kernels();
        if (kernels instanceof CudaKernels)
            throw new CliException("text training runs on the CPU (--device cpu) for now");
        SparseTrainer trainer;
        try {
            trainer = new SparseTrainer(kernels, config);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }

        long t0 = System.nanoTime();
        Path file = main.workDir.resolve(cmd.data.path);
        boolean text = cmd.text.requested(file);
        TextFeatures features = null;
        SparseDataset all, test;
        SparseTrainer.Data train, testData = null;
        try {
            if (text) {
                TextCorpus.Fitted fitted =
                        TextCorpus.fit(file, cmd.text.layout(file, cmd.data), cmd.text.features(), cmd.text.tfidf);
                all = fitted.data();
                features = fitted.features();
            } else {
                all = SparseDataset.libsvm(file, 0, null);
            }
            if (cmd.testFile != null) {
                if (cmd.testFraction != null) throw new CliException("--test and --test-fraction exclude each other");
                Path tf = main.workDir.resolve(cmd.testFile);
                test = text
                        ? TextCorpus.read(tf, cmd.text.layout(tf, cmd.data), features, all.classNames(), true)
                        : SparseDataset.libsvm(tf, all.rows().columns(), all.classNames());
                train = new SparseTrainer.Data(all.rows(), all.labels(), null);
                testData = new SparseTrainer.Data(test.rows(), test.labels(), null);
            } else {
                double f = cmd.testFraction != null ? cmd.testFraction : 0.2;
                if (!(f >= 0 && f < 1)) throw new CliException("--test-fraction must be in [0, 1): " + f);
                int[][] split = all.split(f, config.seed() ^ 0x7e57L);
                train = new SparseTrainer.Data(all.rows(), all.labels(), split[0]);
                testData = f == 0 ? null : new SparseTrainer.Data(all.rows(), all.labels(), split[1]);
            }
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        List<String> names = all.classNames();
        if (!cmd.quiet) {
            stdout.printf(
                    Locale.ROOT,
                    "%s: %s " + (text ? "documents" : "rows")
                            + ", %d classes (%s), %s stored features (%.1f per row) of %s; %s training, %s%n",
                    cmd.data.path,
                    Reports.grouped(all.size()),
                    all.classes(),
                    DataOptions.classList(names),
                    Reports.grouped(all.rows().entries()),
                    (double) all.rows().entries() / all.size(),
                    Reports.grouped(all.rows().columns()),
                    Reports.grouped(train.size()),
                    testData == null
                            ? "no test set"
                            : Reports.grouped(testData.size()) + " test"
                                    + (cmd.testFile != null ? " from " + cmd.testFile : ""));
            stdout.println(
                    text
                            ? "text features: " + features
                            : "sparse rows: more than " + Reports.grouped(SPARSE_FEATURES)
                                    + " features are not densified");
            stdout.println("settings: " + Reports.describe(config));
            stdout.println("kernels: " + kernels.name() + "; step: sparse rows x weights (csrMatmul), fused softmax "
                    + "cross-entropy, update of the weight rows the batch uses only");
            stdout.println(Reports.epochLegend(false));
            stdout.flush();
        }
        int batch = Math.min(config.batchSize(), train.size());
        ProgressBar bar =
                main.interactive && !cmd.quiet ? new ProgressBar(System.err, "", config.epochs(), batch) : null;
        TrainingListener batches = new TrainingListener() {
            @Override
            public void onBatch(int epoch, int b, int steps, double epochLoss) {
                if (bar != null) bar.update(epoch, b, steps, epochLoss);
            }
        };
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        SparseTrainer.Result result;
        String signal;
        int signalExit = 0;
        try (StopOnSignal signals = new StopOnSignal(() -> stop.set(true), "the model trained so far", stderr)) {
            result = trainer.fit(
                    train,
                    testData,
                    all.classes(),
                    batches,
                    (EpochMetrics m) -> {
                        if (bar != null) bar.clear();
                        if (!cmd.quiet) {
                            stdout.println(Reports.epochLine(m, config.epochs(), false));
                            stdout.flush();
                        }
                    },
                    stop::get);
            signal = signals.received();
            if (signal != null) signalExit = signals.exitCode();
        }
        if (bar != null) bar.clear();
        // The model first: nothing after this may lose the training.
        Path model = dir.resolve(Outputs.MODEL_FILE);
        (text
                        ? Checkpoint.textModel(result.model(), names, features)
                        : Checkpoint.modelOnly(result.model(), names, List.of(), Scaler.none()))
                .save(model);
        Reports.writeMetricsCsv(dir.resolve("metrics.csv"), result.history());
        if (result.stopped()) {
            stdout.printf(
                    Locale.ROOT,
                    "%s: stopped after %d of %d epochs and step %d; saved the model trained so far, %s (sparse "
                            + "runs do not resume)%n",
                    signal,
                    result.history().size(),
                    config.epochs(),
                    result.stoppedAtStep(),
                    Outputs.show(main.workDir, model));
            stdout.flush();
            return signalExit;
        }
        SparseTrainer.Data judged = testData != null ? testData : train;
        Evaluation e = trainer.evaluate(result.model(), judged);
        double loop = result.loopNanos() / 1e9;
        long samples = (long) train.size() * result.history().size();
        Files.writeString(
                dir.resolve("metrics.json"),
                "{\n  \"command\": \"train\",\n  \"kernels\": " + Reports.jsonString(kernels.name())
                        + (text ? ",\n  \"text_features\": " + Reports.jsonString(features.toString()) : "")
                        + ",\n  \"config\": " + Reports.configJson(config)
                        + ",\n  \"epochs\": " + Reports.historyJson(result.history(), "  ")
                        + ",\n  \"test\": {\"loss\": " + Reports.jsonNum(e.loss()) + ", \"accuracy\": "
                        + Reports.jsonNum(e.accuracy()) + ", \"correct\": " + e.correct() + ", \"count\": " + e.count()
                        + "},\n  \"training_loop_seconds\": " + loop + ",\n  \"samples_per_second\": "
                        + Reports.jsonNum(samples / loop) + ",\n  \"data_loading_seconds\": " + loadSeconds + "\n}\n",
                StandardCharsets.UTF_8);
        stdout.printf(
                Locale.ROOT,
                "%s accuracy: %.4f (%d/%d), %s loss %.4f%n",
                testData != null ? "test" : "training",
                e.accuracy(),
                e.correct(),
                e.count(),
                testData != null ? "test" : "training",
                e.loss());
        stdout.printf(Locale.ROOT, "training loop: %.3f s (%s samples/s)%n", loop, Reports.grouped(samples / loop));
        stdout.printf(Locale.ROOT, "data loading and features: %.3f s%n", loadSeconds);
        stdout.printf(
                Locale.ROOT,
                "outputs: %s/ (model.s4j %s, metrics.csv, metrics.json); predict with: softmax4j predict %s %s%n",
                Outputs.show(main.workDir, dir),
                sizeOf(model),
                Outputs.show(main.workDir, model),
                text ? "--text \"...\"" : "--data FILE.svm");
        stdout.flush();
        return 0;
    }

    private static String sizeOf(Path file) throws IOException {
        return String.format(Locale.ROOT, "%.1f MiB", Files.size(file) / 1048576.0);
    }
}
