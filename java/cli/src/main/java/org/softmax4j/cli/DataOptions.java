package org.softmax4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.softmax4j.DType;
import org.softmax4j.data.DataException;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;
import org.softmax4j.data.Missing;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.Table;
import org.softmax4j.train.Checkpoint;
import picocli.CommandLine.Option;

/**
 * Which data: Fashion-MNIST (a directory, the default) or a file of one's
 * own (CSV, TSV, LIBSVM, NumPy, IDX) with the options of its reader and of
 * the test split (a picocli mixin).
 */
final class DataOptions {
    @Option(
            names = "--data",
            paramLabel = "PATH",
            description = "A data file (CSV/TSV, LIBSVM .svm, NumPy .npy with --labels or .npz, IDX with "
                    + "--labels), or the Fashion-MNIST directory (default: $SOFTMAX4J_DATA, else "
                    + "/usr/share/datasets/fashion-mnist).")
    Path path;

    @Option(
            names = "--labels",
            paramLabel = "FILE",
            description = "The labels of a .npy or IDX --data file (a .npy of integers, an IDX of bytes).")
    Path labels;

    @Option(
            names = "--label",
            paramLabel = "COLUMN",
            description = "CSV: the label's column, a header name or a 0-based index (default: a column "
                    + "named label, class, target or y, else the last).")
    String label;

    @Option(
            names = "--drop",
            split = ",",
            paramLabel = "COLUMN",
            description = "CSV: columns to leave out, names or 0-based indexes, comma-separated.")
    List<String> drop = List.of();

    @Option(
            names = "--delimiter",
            paramLabel = "C",
            description = "CSV: the field delimiter, e.g. ',' ';' tab (default: detected from the first line).")
    String delimiter;

    @Option(
            names = "--header",
            negatable = true,
            description = "CSV: whether the first line is a header (default: detected).")
    Boolean header;

    @Option(
            names = "--missing",
            paramLabel = "error|zero|mean",
            defaultValue = "error",
            description = "A missing value (empty, NA, NaN, ?): an error naming the line and column, 0, or "
                    + "the column's mean over the file (default: ${DEFAULT-VALUE}).")
    Choices.MissingChoice missing;

    @Option(
            names = "--npz-arrays",
            paramLabel = "X,Y",
            split = ",",
            description = ".npz: the names of the feature and label arrays (default: X,y).")
    List<String> npzArrays;

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "Where parsed data files are kept, memory-mapped (default: $SOFTMAX4J_CACHE, "
                    + "else ~/.cache/softmax4j).")
    Path cacheDir;

    /**
     * Whether --data names a file (one's own data) rather than the
     * Fashion-MNIST directory; a path that does not exist counts as a file
     * when its name has an extension (the error then says the file is missing).
     */
    boolean ownData(Map<String, String> env, Path workDir) {
        if (path == null) return false;
        Path p = workDir.resolve(path);
        if (Files.isRegularFile(p)) return true;
        return !Files.isDirectory(p) && p.getFileName().toString().matches(".+\\.[A-Za-z0-9]+");
    }

    /** The Fashion-MNIST directory. */
    Path resolve(Map<String, String> env) {
        return FashionMnist.resolveDir(path, env);
    }

    /** Loads Fashion-MNIST; a missing or invalid one is a {@link CliException} with the how-to. */
    FashionMnist fashionMnist(Map<String, String> env) {
        try {
            return FashionMnist.load(resolve(env));
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    /** The table of a data file, with this command line's reader options. */
    Table table(Path file, Map<String, String> env, Path workDir) {
        Path f = workDir.resolve(file);
        Table t;
        try {
            t = Table.of(f, labels == null ? null : workDir.resolve(labels));
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
        if (label != null) t.label(label);
        if (!drop.isEmpty()) t.drop(drop.toArray(String[]::new));
        if (delimiter != null) t.delimiter(delimiterChar());
        if (header != null) t.header(header);
        t.missing(Missing.valueOf(missing.name().toUpperCase(Locale.ROOT)));
        if (npzArrays != null) {
            if (npzArrays.size() != 2) throw new CliException("--npz-arrays takes two names, X,Y: " + npzArrays);
            t.arrays(npzArrays.get(0), npzArrays.get(1));
        }
        t.cacheDir(cacheDir != null ? workDir.resolve(cacheDir) : Table.defaultCacheDir(env));
        return t;
    }

    private char delimiterChar() {
        String d = delimiter.equals("\\t") || delimiter.equalsIgnoreCase("tab") ? "\t" : delimiter;
        if (d.length() != 1) throw new CliException("--delimiter '" + delimiter + "': one character (or tab)");
        return d.charAt(0);
    }

    /**
     * Reads {@code file} for a trained model: its classes, features and scaler
     * ({@code labelsRequired} false: a file without labels is fine).
     */
    Dataset read(Path file, Map<String, String> env, Path workDir, Checkpoint model, boolean labelsRequired) {
        List<String> classes =
                model.classNames().isEmpty() ? Dataset.numbered(model.model().classes()) : model.classNames();
        return readLike(
                        file,
                        env,
                        workDir,
                        classes,
                        model.featureNames(),
                        model.model().features(),
                        labelsRequired)
                .withScaler(model.scaler());
    }

    private Dataset readLike(
            Path file,
            Map<String, String> env,
            Path workDir,
            List<String> classes,
            List<String> featureNames,
            int features,
            boolean labelsRequired) {
        try {
            return table(file, env, workDir).readFor(classes, featureNames, features, labelsRequired);
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    /**
     * Fashion-MNIST for a saved model: its training and test sets scaled as
     * the model was trained (the model must map 784 pixels to 10 classes).
     */
    FashionMnist fashionMnistFor(Map<String, String> env, Checkpoint model) {
        if (model.model().features() != FashionMnist.FEATURES || model.model().classes() != FashionMnist.CLASSES) {
            throw new CliException("the model maps " + model.model().features() + " features to "
                    + model.model().classes() + " classes, not Fashion-MNIST's " + FashionMnist.FEATURES + " -> "
                    + FashionMnist.CLASSES + ": name its data with --data FILE");
        }
        FashionMnist m = fashionMnist(env);
        return new FashionMnist(m.train().withScaler(model.scaler()), m.test().withScaler(model.scaler()));
    }

    /** What a saved model is judged on: --data FILE (with labels), else Fashion-MNIST's test set. */
    Dataset judged(Map<String, String> env, Path workDir, Checkpoint model) {
        return ownData(env, workDir)
                ? read(path, env, workDir, model, true)
                : fashionMnistFor(env, model).test();
    }

    /** The training and test sets of a run, scaled, and a line saying what they are. */
    record Splits(Dataset train, Dataset test, String description) {}

    /**
     * Fashion-MNIST's training and test sets, or --data and --test (or a
     * seeded {@code testFraction} of --data). The scaler ({@code fitted}, a
     * resumed run's; else {@code scale}, else divide:255 for uint8 images
     * and standard for the rest) is fitted on the training set and applied
     * to both.
     */
    Splits splits(
            Map<String, String> env,
            Path workDir,
            Path testFile,
            Double testFraction,
            long seed,
            boolean stratify,
            String scale,
            Scaler fitted) {
        Dataset train, test;
        String what;
        if (!ownData(env, workDir)) {
            if (testFile != null || testFraction != null) {
                throw new CliException("--test and --test-fraction are for data files; Fashion-MNIST has its test set");
            }
            FashionMnist m = fashionMnist(env);
            train = m.train();
            test = m.test();
            what = String.format(
                    Locale.ROOT,
                    "Fashion-MNIST: %s training and %s test images from %s",
                    Reports.grouped(train.size()),
                    Reports.grouped(test.size()),
                    resolve(env));
        } else {
            Dataset all;
            try {
                all = table(path, env, workDir).read();
            } catch (DataException e) {
                String hint = e.getMessage().endsWith("is not a number")
                        ? " (a column of raw text? train on it with --text-column N)"
                        : "";
                throw new CliException(e.getMessage() + hint, e);
            }
            if (testFile != null) {
                if (testFraction != null) throw new CliException("--test and --test-fraction exclude each other");
                train = all.named("train");
                test = readLike(testFile, env, workDir, all.classNames(), all.featureNames(), all.features(), true)
                        .named("test");
            } else {
                double f = testFraction != null ? testFraction : 0.2;
                if (!(f >= 0 && f < 1)) throw new CliException("--test-fraction must be in [0, 1): " + f);
                Dataset.Split split = all.split(f, seed ^ 0x7e57L, stratify);
                train = split.train().named("train");
                test = f == 0 ? null : split.validation().named("test");
            }
            what = String.format(
                    Locale.ROOT,
                    "%s: %s examples of %d features and %d classes (%s); %s training, %s",
                    path,
                    Reports.grouped(all.size()),
                    all.features(),
                    all.classes(),
                    classList(all.classNames()),
                    Reports.grouped(train.size()),
                    test == null
                            ? "no test set"
                            : Reports.grouped(test.size()) + " test" + (testFile != null ? " from " + testFile : ""));
        }
        Scaler s;
        try {
            s = fitted != null
                    ? fitted
                    : (scale != null
                                    ? Scaler.parse(scale)
                                    : train.matrix().type() == DType.U8 ? train.scaler() : Scaler.parse("standard"))
                            .fit(train);
        } catch (IllegalArgumentException e) {
            throw new CliException("--scale " + e.getMessage(), e);
        }
        return new Splits(
                train.withScaler(s), test == null ? null : test.withScaler(s), what + "; inputs scaled: " + s);
    }

    /** The first classes, for a summary line. */
    static String classList(List<String> names) {
        return names.size() <= 6
                ? String.join(", ", names)
                : String.join(", ", names.subList(0, 5)) + ", ... " + names.getLast();
    }
}
