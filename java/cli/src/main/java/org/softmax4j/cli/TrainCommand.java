package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.cli.plot.Heatmap;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Scaler;
import org.softmax4j.train.Checkpoint;
import org.softmax4j.train.ConfusionMatrix;
import org.softmax4j.train.EpochMetrics;
import org.softmax4j.train.Evaluation;
import org.softmax4j.train.Evaluator;
import org.softmax4j.train.LrSchedule;
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

/** {@code softmax4j train}. */
@Command(
        header = "Train softmax regression on a data file or Fashion-MNIST; save the model, metrics and plots.",
        name = "train",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Train softmax regression (features -> classes, weights ~ N(0, 0.01^2), zero "
                    + "bias) with minibatch SGD on --data FILE (a CSV/TSV with --label, LIBSVM, X.npy with "
                    + "--labels y.npy, IDX, or raw text: a TSV with --text-column or fastText's __label__ format) or, "
                    + "by default, Fashion-MNIST (784 pixels -> 10 classes). Prints one line per epoch (train loss and "
                    + "accuracy, test loss and accuracy, samples/s), then the test accuracy, the "
                    + "confusion matrix and the training-loop time. Writes the resumable model "
                    + "file, metrics as CSV and JSON, loss and accuracy curves as SVG and the "
                    + "confusion matrix as CSV to the output directory.",
            ""
        },
        footer = {
            "",
            "Presets: book = Dive into Deep Learning's settings (10 epochs, batch 256, lr 0.1, "
                    + "plain SGD; ~0.83 test accuracy); tuned = 40 epochs, batch 128, lr 0.05, momentum "
                    + "0.9, weight decay 1e-4, cosine schedule (~0.85). Options given explicitly override "
                    + "the preset.",
            "Examples: softmax4j train --preset tuned --out runs/tuned",
            "          softmax4j train --data customers.csv --label churn --scale standard",
            "          softmax4j train --data docs.tsv --text-column 1 --label 0 --tfidf"
        })
final class TrainCommand implements Callable<Integer> {
    /** Training options that a resumed run takes from its checkpoint. */
    private static final List<String> FIXED_BY_CHECKPOINT = List.of(
            "--preset",
            "--batch-size",
            "--lr",
            "--seed",
            "--momentum",
            "--weight-decay",
            "--schedule",
            "--step-size",
            "--gamma",
            "--val-fraction",
            "--patience",
            "--no-shuffle",
            "--scale",
            "--stratify",
            "--test-fraction");

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--preset",
            paramLabel = "book|tuned",
            defaultValue = "book",
            description = "Starting settings, see below (default: ${DEFAULT-VALUE}).")
    Choices.Preset preset;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (book 10, tuned 40).")
    Integer epochs;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Examples per SGD step; the last, smaller batch of an epoch is used (book 256, tuned 128).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate (book 0.1, tuned 0.05).")
    Float lr;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description =
                    "Seed of the initial weights, the shuffling and the validation split; the same seed gives the same result on the same machine and thread count (default: 0).")
    Long seed;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum in [0, 1) (book 0, tuned 0.9).")
    Float momentum;

    @Option(
            names = "--weight-decay",
            paramLabel = "L2",
            description = "L2 penalty on the weights, not the bias (book 0, tuned 1e-4).")
    Float weightDecay;

    @Option(
            names = "--schedule",
            paramLabel = "constant|step|cosine",
            description =
                    "Learning-rate schedule: constant; step (x gamma every step-size epochs); cosine (per step, to 0 at the end) (book constant, tuned cosine).")
    Choices.ScheduleChoice schedule;

    @Option(
            names = "--step-size",
            paramLabel = "EPOCHS",
            description = "Epochs between decays of the step schedule (default: 3).")
    Integer stepSize;

    @Option(names = "--gamma", paramLabel = "G", description = "Decay factor of the step schedule (default: 0.5).")
    Float gamma;

    @Option(
            names = "--val-fraction",
            paramLabel = "F",
            description =
                    "Fraction of the training set held out (seeded) for validation, in [0, 1) (default: 0, or 0.1 with --patience).")
    Double valFraction;

    @Option(
            names = "--patience",
            paramLabel = "EPOCHS",
            description =
                    "Early stopping: stop after this many epochs without a lower validation loss and keep the best weights; 0 = off (default: 0).")
    Integer patience;

    @Option(
            names = "--no-shuffle",
            description = "Keep the stored order of the training set instead of reshuffling every epoch.")
    boolean noShuffle;

    @Option(
            names = "--resume",
            paramLabel = "FILE",
            description =
                    "Continue the run saved in FILE (a model.s4j or checkpoint.s4j) with its settings; only --epochs may raise the total. Ends bit-identical to an uninterrupted run.")
    Path resume;

    @Option(
            names = "--stop-after",
            paramLabel = "EPOCHS",
            description =
                    "Stop once this many epochs are done and save a resumable model, to continue later with --resume (the schedule still spans --epochs).")
    Integer stopAfter;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "EPOCHS",
            description =
                    "Also save checkpoint.s4j every EPOCHS epochs (default: 0 = only the final model.s4j, which is resumable too).")
    int checkpointEvery;

    @Mixin
    DataOptions data;

    @Mixin
    TextOptions text;

    @Option(
            names = "--test",
            paramLabel = "FILE",
            description =
                    "A test file in the format of --data (default: a --test-fraction of --data; Fashion-MNIST has its own test set).")
    Path testFile;

    @Option(
            names = "--test-fraction",
            paramLabel = "F",
            description =
                    "Fraction of --data held out (seeded) as the test set, in [0, 1) (default: 0.2 without --test).")
    Double testFraction;

    @Option(names = "--stratify", description = "Test and validation splits keep each class's share of the examples.")
    boolean stratify;

    @Option(
            names = "--scale",
            paramLabel = "KIND",
            description =
                    "How features become inputs, fitted on the training set and kept in the model: none, standard, minmax or divide:N (default: divide:255 for uint8 images, standard otherwise).")
    String scale;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    PictureOptions pictures;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Output directory (default: a new runs/train-yyyyMMdd-HHmmss). One that holds a run already needs --overwrite.")
    Path out;

    @Option(names = "--overwrite", description = "Replace the outputs of a run already in --out.")
    boolean overwrite;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only the final summary: no progress bar, no line per epoch.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(),
                stderr = spec.commandLine().getErr();
        if (checkpointEvery < 0) throw new CliException("--checkpoint-every must be >= 0: " + checkpointEvery);
        if (data.ownData(main.env, main.workDir)) {
            Path file = main.workDir.resolve(data.path);
            if (text.requested(file) || SparseTraining.sparseLibsvm(file)) {
                boolean presetGiven = spec.commandLine().getParseResult().hasMatchedOption("--preset");
                return SparseTraining.run(this, config(presetGiven ? null : TrainConfig.text()), stdout, stderr);
            }
        }
        if (stopAfter != null && stopAfter < 1) throw new CliException("--stop-after must be >= 1: " + stopAfter);
        TrainingState resumedState = null;
        TrainConfig config;
        Scaler resumedScaler = null;
        if (resume != null) {
            Checkpoint ckpt = Checkpoint.load(main.workDir.resolve(resume));
            config = resumeConfig(ckpt);
            resumedState = ckpt.state();
            resumedScaler = ckpt.scaler();
        } else {
            config = config();
        }
        // Outputs first: a run whose results cannot be written must not start.
        Path dir = Outputs.runDir(main.workDir, out, "train");
        Outputs.claim(main.workDir, dir, overwrite, resume == null ? null : main.workDir.resolve(resume));
        Kernels kernels = kernelOptions.kernels();

        long t0 = System.nanoTime();
        DataOptions.Splits splits = data.splits(
                main.env, main.workDir, testFile, testFraction, config.seed(), config.stratify(), scale, resumedScaler);
        Dataset train = splits.train(), testSet = splits.test();
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        List<String> names = train.classNames();
        if (resumedState != null
                && (resumedState.model().features() != train.features()
                        || resumedState.model().classes() != train.classes())) {
            throw new CliException(
                    resume + ": that run's model maps " + resumedState.model().features() + " features to "
                            + resumedState.model().classes() + " classes; this data has " + train.features() + " and "
                            + train.classes());
        }

        Trainer trainer = new Trainer(kernels, config);
        if (!quiet) {
            stdout.println(splits.description());
            stdout.println("settings: " + Reports.describe(config)
                    + (resumedState != null
                            ? "; resuming after epoch " + resumedState.epochsDone()
                                    + (resumedState.batchesInEpoch() > 0
                                            ? " and " + resumedState.batchesInEpoch() + " steps of the next"
                                            : "")
                            : ""));
            stdout.println(
                    "kernels: " + kernels.name() + "; step: " + trainer.stepDescription(train.size(), train.classes()));
            stdout.flush();
        }

        if (!quiet) {
            stdout.println(Reports.epochLegend(config.earlyStopping()));
            stdout.flush();
        }
        ProgressBar bar = main.interactive && !quiet
                ? new ProgressBar(System.err, "", config.epochs(), Math.min(config.batchSize(), train.size()))
                : null;
        TrainConfig cfg = config;
        TrainingListener listener = new TrainingListener() {
            @Override
            public void onBatch(int epoch, int batch, int batches, double epochLoss) {
                if (bar != null) bar.update(epoch, batch, batches, epochLoss);
            }

            @Override
            public void onEpoch(EpochMetrics m, TrainingState state) {
                if (bar != null) bar.clear();
                if (!quiet) {
                    stdout.println(
                            Reports.epochLine(m, cfg.epochs(), cfg.earlyStopping() && state.bestEpoch() == m.epoch()));
                    stdout.flush();
                }
                if (stopAfter != null && state.epochsDone() >= stopAfter) state.requestStop();
                if (checkpointEvery > 0 && m.epoch() % checkpointEvery == 0) {
                    try {
                        Checkpoint.of(state, cfg, train).save(dir.resolve("checkpoint.s4j"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        };
        TrainingState state =
                resumedState != null ? resumedState : TrainingState.start(config, train.features(), train.classes());
        TrainResult result;
        String signal;
        int signalExit = 0;
        try (StopOnSignal stop = new StopOnSignal(state, stderr)) {
            result = trainer.resume(state, train, testSet, listener);
            signal = stop.received();
            if (signal != null) signalExit = stop.exitCode();
        }
        if (bar != null) bar.clear();
        if (signal != null) {
            // Stopped by Ctrl-C or SIGTERM: save what is needed to continue, quickly.
            Checkpoint.of(result.state(), config, train).save(dir.resolve(Outputs.MODEL_FILE));
            writeHistory(dir, result, title(train), config);
            stdout.printf(
                    Locale.ROOT,
                    "%s: stopped after %d of %d epochs%s; saved %s; continue with: " + "softmax4j train --resume %s%n",
                    signal,
                    state.epochsDone(),
                    config.epochs(),
                    state.batchesInEpoch() > 0 ? " and " + state.batchesInEpoch() + " steps" : "",
                    Outputs.show(main.workDir, dir.resolve(Outputs.MODEL_FILE)),
                    Outputs.show(main.workDir, dir.resolve(Outputs.MODEL_FILE)));
            stdout.flush();
            return signalExit;
        }

        // The model first: nothing after this may lose the training.
        Checkpoint.of(result.state(), config, train).save(dir.resolve(Outputs.MODEL_FILE));
        writeHistory(dir, result, title(train), config);
        Evaluator evaluator =
                new Evaluator(kernels, result.model().features(), result.model().classes());
        Dataset judged = testSet != null ? testSet : train;
        int[] predictions = new int[judged.size()];
        Evaluation test = evaluator.evaluate(result.model(), judged, predictions, null);
        ConfusionMatrix cm = Reports.confusion(judged, predictions);

        Files.writeString(
                dir.resolve("metrics.json"),
                metricsJson(config, kernels, result, test, cm, loadSeconds),
                StandardCharsets.UTF_8);
        if (cm != null) {
            Reports.writeConfusion(
                    dir,
                    cm,
                    names,
                    title(train) + ": confusion on " + (testSet != null ? "the test set" : "the training set"),
                    Reports.describe(config),
                    pictures);
        }

        if (config.earlyStopping()) {
            stdout.printf(
                    Locale.ROOT,
                    "early stopping: %s; best validation loss %.4f at epoch %d, " + "its weights kept%n",
                    state.stoppedEarly() ? "stopped after epoch " + state.epochsDone() : "ran all epochs",
                    state.bestValLoss(),
                    state.bestEpoch());
        }
        boolean unfinished = !state.stoppedEarly() && state.epochsDone() < config.epochs();
        if (unfinished) {
            stdout.printf(
                    Locale.ROOT,
                    "stopped after epoch %d of %d (--stop-after); continue with: " + "softmax4j train --resume %s%n",
                    state.epochsDone(),
                    config.epochs(),
                    Outputs.show(main.workDir, dir.resolve(Outputs.MODEL_FILE)));
        }
        stdout.printf(
                Locale.ROOT,
                "%s accuracy: %.4f (%d/%d), %s loss %.4f%n",
                testSet != null ? "test" : "training",
                test.accuracy(),
                test.correct(),
                test.count(),
                testSet != null ? "test" : "training",
                test.loss());
        stdout.print(Reports.confusionTable(cm, names, judged.classes()));
        stdout.printf(
                Locale.ROOT,
                "training loop: %.3f s (%s samples/s)%n",
                result.loopSeconds(),
                Reports.grouped(result.samplesPerSecond()));
        stdout.printf(Locale.ROOT, "data loading: %.3f s%n", loadSeconds);
        stdout.println("outputs: " + Outputs.show(main.workDir, dir) + "/ (model.s4j, metrics.csv, "
                + "metrics.json, " + pictures.file("curves")
                + (cm != null ? ", confusion.csv" : "")
                + (cm != null && cm.classes() <= Heatmap.MAX_CLASSES ? ", " + pictures.file("confusion") : "")
                + (checkpointEvery > 0 ? ", checkpoint.s4j" : "") + ")");
        stdout.flush();
        return 0;
    }

    /** metrics.csv and the curves (SVG or PNG) of the epochs done. */
    private void writeHistory(Path dir, TrainResult result, String title, TrainConfig config) throws IOException {
        Reports.writeMetricsCsv(dir.resolve("metrics.csv"), result.history());
        pictures.write(
                dir,
                "curves",
                Reports.curvesSvg(
                        result.history(),
                        title,
                        Reports.describe(config),
                        config.earlyStopping() ? result.state().bestEpoch() : 0));
    }

    /** The plots' title. */
    private String title(Dataset train) {
        return (data.ownData(main.env, main.workDir) ? String.valueOf(data.path.getFileName()) : "Fashion-MNIST")
                + " softmax regression";
    }

    /** The preset with the options given on the command line applied. */
    TrainConfig config() {
        return config(null);
    }

    /** {@code base} (null: the --preset) with the options given on the command line applied. */
    TrainConfig config(TrainConfig base) {
        TrainConfig.Builder b = (base != null
                        ? base
                        : preset == Choices.Preset.tuned ? TrainConfig.tuned() : TrainConfig.book())
                .toBuilder();
        if (epochs != null) b.epochs(epochs);
        if (batchSize != null) b.batchSize(batchSize);
        if (lr != null) b.lr(lr);
        if (seed != null) b.seed(seed);
        if (momentum != null) b.momentum(momentum);
        if (weightDecay != null) b.weightDecay(weightDecay);
        if ((stepSize != null || gamma != null) && schedule != Choices.ScheduleChoice.step) {
            throw new CliException("--step-size and --gamma belong to --schedule step");
        }
        try {
            if (schedule != null) {
                b.schedule(
                        switch (schedule) {
                            case constant -> LrSchedule.constant();
                            case step -> LrSchedule.step(stepSize == null ? 3 : stepSize, gamma == null ? 0.5f : gamma);
                            case cosine -> LrSchedule.cosine(0f);
                        });
            }
            if (patience != null) {
                if (patience > 0 && valFraction != null && valFraction == 0) {
                    throw new CliException("--patience needs a validation split: --val-fraction > 0");
                }
                b.patience(patience);
            }
            if (valFraction != null) b.valFraction(valFraction);
            else if (patience != null && patience > 0) b.valFraction(0.1);
            if (noShuffle) b.shuffle(false);
            if (stratify) b.stratify(true);
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    private TrainConfig resumeConfig(Checkpoint ckpt) {
        for (String option : FIXED_BY_CHECKPOINT) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new CliException(option + " cannot be combined with --resume: the checkpoint "
                        + "fixes the settings (only --epochs may raise the total)");
            }
        }
        if (!ckpt.resumable()) {
            throw new CliException(resume + " holds a model without training state; it cannot be resumed");
        }
        TrainConfig c = ckpt.config();
        if (epochs != null) {
            try {
                c = c.toBuilder().epochs(epochs).build();
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), e);
            }
        }
        TrainingState s = ckpt.state();
        if (s.stoppedEarly()) {
            throw new CliException(resume + ": that run stopped early after epoch " + s.epochsDone()
                    + " (no better validation loss); there is nothing to resume");
        }
        if (s.epochsDone() >= c.epochs() && s.batchesInEpoch() == 0) {
            throw new CliException(resume + " has already trained " + s.epochsDone() + " of "
                    + c.epochs() + " epochs; pass --epochs N with N > " + s.epochsDone()
                    + " to train further");
        }
        return c;
    }

    private static String metricsJson(
            TrainConfig config,
            Kernels kernels,
            TrainResult r,
            Evaluation test,
            ConfusionMatrix cm,
            double loadSeconds) {
        TrainingState s = r.state();
        return "{\n  \"command\": \"train\",\n  \"kernels\": " + Reports.jsonString(kernels.name())
                + ",\n  \"config\": " + Reports.configJson(config)
                + ",\n  \"epochs\": " + Reports.historyJson(r.history(), "  ")
                + ",\n  \"test\": {\"loss\": " + Reports.jsonNum(test.loss()) + ", \"accuracy\": "
                + Reports.jsonNum(test.accuracy()) + ", \"correct\": " + test.correct() + ", \"count\": "
                + test.count() + (cm != null ? ", \"confusion_matrix\": " + Reports.matrixJson(cm) : "") + "}"
                + ",\n  \"stopped_early\": " + s.stoppedEarly() + ",\n  \"best_epoch\": " + s.bestEpoch()
                + ",\n  \"training_loop_seconds\": " + r.loopSeconds()
                + ",\n  \"samples_per_second\": " + Reports.jsonNum(r.samplesPerSecond())
                + ",\n  \"data_loading_seconds\": " + loadSeconds + "\n}\n";
    }
}
