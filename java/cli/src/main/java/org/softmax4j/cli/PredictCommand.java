package org.softmax4j.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.data.DataException;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Features;
import org.softmax4j.data.IdxFile;
import org.softmax4j.data.IdxReader;
import org.softmax4j.data.SparseDataset;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.train.Checkpoint;
import org.softmax4j.train.Evaluator;
import org.softmax4j.train.Model;
import org.softmax4j.train.SoftmaxRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code softmax4j predict}. */
@Command(
        header = "Top-k classes with probabilities; optionally abstain when unsure.",
        name = "predict",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Classify examples (images or rows of a data file) with a saved model and print the top-k classes with their "
                    + "probabilities. With --abstain-below P the model refuses to answer when its top "
                    + "probability is below P (as a diagnosis should, rather than guess), and the "
                    + "coverage/accuracy trade-off over thresholds on the test set is reported.",
            ""
        },
        footer = {"", "Example: softmax4j predict --count 5 --top-k 3 --abstain-below 0.6"})
final class PredictCommand implements Callable<Integer> {
    private static final double[] THRESHOLDS = {0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MODEL",
            description = "Model file (default: the newest runs/train-*/model.s4j).")
    Path model;

    @Option(
            names = "--index",
            split = ",",
            paramLabel = "I",
            description = "Which examples (0-based, comma-separated) to classify.")
    List<Integer> indices;

    @Option(
            names = "--count",
            paramLabel = "N",
            defaultValue = "10",
            description = "Without --index: classify the first N examples (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(
            names = "--images",
            paramLabel = "FILE",
            description = "IDX file of 28x28 images (.gz or raw) to classify instead of the test set.")
    Path images;

    @Option(
            names = {"-k", "--top-k", "--top"},
            paramLabel = "K",
            description = "Classes to show per example, most probable first (default: 3, or every "
                    + "class of a model with fewer).")
    Integer topKOption;

    /** --top-k, defaulting to 3 or the class count when that is smaller. */
    private int topK;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description = "Write every example's prediction to this CSV: row, predicted class, its "
                    + "probability, the probability of each class (or, beyond 20 classes, the top-k), "
                    + "abstained, and with labels the true class.")
    Path output;

    @Option(
            names = "--abstain-below",
            paramLabel = "P",
            description = "Abstain when the top probability is below P, in [0, 1]; also prints the "
                    + "coverage and accuracy of abstaining at several thresholds on the test set.")
    Double abstainBelow;

    @Option(
            names = "--text",
            paramLabel = "TEXT",
            description = "A text model: classify this raw text (repeatable) instead of --data.")
    List<String> texts;

    @Mixin
    DataOptions data;

    @Option(
            names = "--text-column",
            paramLabel = "COLUMN",
            description =
                    "A text model and a TSV --data file: the 0-based column of the text (the label: --label, "
                            + "default 0, or 1 when the text is column 0). Without it: fastText's format, else one document per line.")
    Integer textColumn;

    @Mixin
    KernelOptions kernelOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();

        if (abstainBelow != null && !(abstainBelow >= 0 && abstainBelow <= 1)) {
            throw new CliException("--abstain-below must be in [0, 1]: " + abstainBelow);
        }
        if (count < 0) throw new CliException("--count must be >= 0: " + count);

        ModelLoader.Loaded loaded = ModelLoader.load(main, model);
        Kernels kernels = kernelOptions.kernels();
        SoftmaxRegression m = loaded.checkpoint().model();
        topK = topKOption != null ? topKOption : Math.min(3, m.classes());
        if (topK < 1 || topK > m.classes())
            throw new CliException("--top-k must be in [1, " + m.classes() + "]: " + topK);
        if (loaded.checkpoint().text() != null && images != null) {
            throw new CliException("--images needs an image model; " + loaded.describe(main.workDir));
        }
        if (loaded.checkpoint().text() != null
                || (data.path != null && SparseTraining.sparseLibsvm(main.workDir.resolve(data.path)))
                || (data.path != null && m.features() > SparseTraining.SPARSE_FEATURES)) {
            return predictSparse(out, loaded, kernels);
        }
        if (texts != null) throw new CliException("--text needs a text model; " + loaded.describe(main.workDir));
        Dataset set;
        if (images != null) {
            if (data.ownData(main.env, main.workDir)) throw new CliException("--images and --data exclude each other");
            set = readImages(loaded.checkpoint());
        } else if (data.ownData(main.env, main.workDir)) {
            set = data.read(data.path, main.env, main.workDir, loaded.checkpoint(), false);
        } else {
            set = data.fashionMnistFor(main.env, loaded.checkpoint()).test();
        }
        boolean labelled = set.isLabelled();
        List<String> names = set.classNames();
        int[] chosen = chosen(set.size());
        Dataset shown = set.select("images", chosen);
        Evaluator evaluator = new Evaluator(kernels, m.features(), m.classes());
        float[] probs = new float[shown.size() * m.classes()];
        evaluator.evaluate(m, shown, null, probs);

        out.println(loaded.describe(main.workDir));
        int nameWidth = names.stream().mapToInt(String::length).max().orElse(8);
        out.printf(
                Locale.ROOT,
                "%6s  %s%s%n",
                "row",
                labelled ? String.format("%-" + nameWidth + "s  ", "true") : "",
                "prediction (top " + topK + ")");
        for (int i = 0; i < shown.size(); i++) {
            int[] order = topClasses(probs, i * m.classes(), m.classes(), topK);
            StringBuilder classes = new StringBuilder();
            for (int r = 0; r < topK; r++) {
                classes.append(r == 0 ? "" : "  ")
                        .append(names.get(order[r]))
                        .append(' ')
                        .append(Reports.probability(probs[i * m.classes() + order[r]]));
            }
            float top = probs[i * m.classes() + order[0]];
            String answer;
            if (abstainBelow != null && top < abstainBelow) {
                answer = String.format(Locale.ROOT, "abstain (top %.3f < %s): %s", top, abstainBelow, classes);
            } else {
                answer = classes + (labelled && order[0] != shown.label(i) ? "   <- wrong" : "");
            }
            out.printf(
                    Locale.ROOT,
                    "%6d  %s%s%n",
                    chosen[i],
                    labelled ? String.format("%-" + nameWidth + "s  ", names.get(shown.label(i))) : "",
                    answer);
        }
        if (abstainBelow != null && labelled) tradeOff(out, evaluator, m, set);
        if (output != null) writeAll(out, evaluator, m, set);
        out.flush();
        return 0;
    }

    /**
     * A text model: the documents of --text, or of --data (fastText's format,
     * --text-column/--label columns, else one document per line, unlabelled).
     */
    private int predictSparse(PrintWriter out, ModelLoader.Loaded loaded, Kernels kernels) throws IOException {
        Checkpoint ckpt = loaded.checkpoint();
        org.softmax4j.train.Model model = org.softmax4j.train.Model.of(ckpt, kernels);
        List<String> names = model.classNames();
        List<String> docs;
        int[] labels = null;
        float[][] probs = null;
        if (ckpt.text() == null) { // a wide numeric model: a LIBSVM file, kept sparse
            if (texts != null) throw new CliException("--text needs a text model; " + loaded.describe(main.workDir));
            SparseDataset d;
            try {
                d = SparseDataset.libsvm(main.workDir.resolve(data.path), model.features(), names);
            } catch (DataException e) {
                throw new CliException(e.getMessage(), e);
            }
            probs = model.predictSparse(d.rows());
            docs = java.util.Collections.nCopies(d.size(), "");
            labels = d.labels();
        } else if (texts != null) {
            if (data.path != null) throw new CliException("--text and --data exclude each other");
            docs = texts;
        } else if (data.path != null) {
            Path file = main.workDir.resolve(data.path);
            TextCorpus.Layout layout = textColumn != null
                    ? TextOptions.layout(file, data, textColumn)
                    : TextCorpus.detect(file, new TextCorpus.Layout.Columns(-1, 0, '\t', false));
            TextCorpus.Lines lines;
            try {
                lines = TextCorpus.lines(file, layout, names);
            } catch (DataException e) {
                throw new CliException(e.getMessage(), e);
            }
            docs = lines.texts();
            labels = lines.labelled() ? lines.labels() : null;
        } else {
            throw new CliException("a text model classifies --text \"...\" or the documents of --data FILE");
        }
        if (probs == null) probs = model.predictText(docs);
        out.println(loaded.describe(main.workDir));
        int nameWidth = names.stream().mapToInt(String::length).max().orElse(8);
        int[] chosen = chosen(docs.size());
        out.printf(
                Locale.ROOT,
                "%6s  %s%s%n",
                "row",
                labels != null ? String.format("%-" + nameWidth + "s  ", "true") : "",
                "prediction (top " + topK + ")");
        for (int i : chosen) {
            int[] order = Model.top(probs[i], topK);
            StringBuilder classes = new StringBuilder();
            for (int r = 0; r < topK; r++) {
                classes.append(r == 0 ? "" : "  ")
                        .append(names.get(order[r]))
                        .append(' ')
                        .append(Reports.probability(probs[i][order[r]]));
            }
            String answer = abstainBelow != null && probs[i][order[0]] < abstainBelow
                    ? String.format(
                            Locale.ROOT, "abstain (top %.3f < %s): %s", probs[i][order[0]], abstainBelow, classes)
                    : classes + (labels != null && order[0] != labels[i] ? "   <- wrong" : "");
            out.printf(
                    Locale.ROOT,
                    "%6d  %s%s%n",
                    i,
                    labels != null ? String.format("%-" + nameWidth + "s  ", names.get(labels[i])) : "",
                    answer);
        }
        if (labels != null) {
            long right = 0;
            for (int i = 0; i < docs.size(); i++) if (Model.top(probs[i], 1)[0] == labels[i]) right++;
            out.printf(
                    Locale.ROOT,
                    "accuracy on %s: %.4f (%d/%d)%n",
                    data.path,
                    (double) right / docs.size(),
                    right,
                    docs.size());
        }
        if (output != null) {
            Path file = main.workDir.resolve(output);
            StringBuilder sb = new StringBuilder("row,predicted,probability");
            for (int r = 1; r <= topK; r++)
                sb.append(",class_").append(r).append(",p_").append(r);
            sb.append(labels != null ? ",true,correct\n" : "\n");
            for (int i = 0; i < docs.size(); i++) {
                int[] order = Model.top(probs[i], topK);
                sb.append(i)
                        .append(',')
                        .append(Reports.csvCell(names.get(order[0])))
                        .append(',')
                        .append(probs[i][order[0]]);
                for (int j : order)
                    sb.append(',')
                            .append(Reports.csvCell(names.get(j)))
                            .append(',')
                            .append(probs[i][j]);
                if (labels != null) {
                    sb.append(',')
                            .append(Reports.csvCell(names.get(labels[i])))
                            .append(',')
                            .append(order[0] == labels[i]);
                }
                sb.append('\n');
            }
            Path tmp = file.resolveSibling(
                    "." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out.println("predictions: " + Outputs.show(main.workDir, file) + " (" + Reports.grouped(docs.size())
                    + " rows)");
        }
        out.flush();
        return 0;
    }

    /** Every example's prediction into --output, in chunks (the probabilities of all rows are not held). */
    private void writeAll(PrintWriter out, Evaluator evaluator, SoftmaxRegression m, Dataset set) throws IOException {
        Path file = main.workDir.resolve(output);
        int c = m.classes(), chunk = Math.max(1, Math.min(8192, (1 << 24) / c));
        boolean all = c <= 20;
        List<String> names = set.classNames();
        Path tmp = file.resolveSibling(
                "." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            StringBuilder head = new StringBuilder("row,predicted,probability");
            if (all) for (String n : names) head.append(",p_").append(Reports.csvCell(n));
            else
                for (int r = 1; r <= topK; r++)
                    head.append(",class_").append(r).append(",p_").append(r);
            head.append(",abstained");
            if (set.isLabelled()) head.append(",true,correct");
            w.write(head.append('\n').toString());
            float[] probs = new float[chunk * c];
            int[] pred = new int[chunk];
            for (int from = 0; from < set.size(); from += chunk) {
                int rows = Math.min(chunk, set.size() - from);
                int[] pos = new int[rows];
                for (int i = 0; i < rows; i++) pos[i] = from + i;
                evaluator.evaluate(m, set.select("chunk", pos), pred, probs);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < rows; i++) {
                    int k = pred[i];
                    float p = probs[i * c + k];
                    sb.append(from + i)
                            .append(',')
                            .append(Reports.csvCell(names.get(k)))
                            .append(',')
                            .append(p);
                    if (all) {
                        for (int j = 0; j < c; j++) sb.append(',').append(probs[i * c + j]);
                    } else {
                        for (int j : topClasses(probs, i * c, c, topK)) {
                            sb.append(',')
                                    .append(Reports.csvCell(names.get(j)))
                                    .append(',')
                                    .append(probs[i * c + j]);
                        }
                    }
                    sb.append(',').append(abstainBelow != null && p < abstainBelow);
                    if (set.isLabelled()) {
                        int t = set.label(from + i);
                        sb.append(',')
                                .append(Reports.csvCell(names.get(t)))
                                .append(',')
                                .append(t == k);
                    }
                    sb.append('\n');
                }
                w.write(sb.toString());
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out.println("predictions: " + Outputs.show(main.workDir, file) + " (" + Reports.grouped(set.size()) + " rows)");
    }

    /** The images of --images (as many pixels as the model has features), with the labels of --labels. */
    private Dataset readImages(Checkpoint model) {
        try {
            IdxFile img = IdxReader.read(main.workDir.resolve(images), 3);
            int classes = model.model().classes();
            if (img.itemSize() != model.model().features()) {
                throw new CliException(images + ": images of " + img.itemSize() + " pixels; the model has "
                        + model.model().features() + " features");
            }
            List<String> names = model.classNames().isEmpty() ? Dataset.numbered(classes) : model.classNames();
            Features f = Features.ofBytes(img.data(), img.itemSize());
            if (data.labels == null) return Dataset.unlabelled("images", f, names, List.of(), model.scaler());
            IdxFile l = IdxReader.readLabels(main.workDir.resolve(data.labels), classes);
            if (l.count() != img.count()) {
                throw new CliException(images + " has " + img.count() + " images but " + data.labels + " has "
                        + l.count() + " labels");
            }
            int[] y = new int[l.count()];
            for (int i = 0; i < y.length; i++) y[i] = l.data()[i] & 0xff;
            return Dataset.of("images", f, y, names, List.of(), model.scaler());
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    private int[] chosen(int size) {
        if (indices != null && !indices.isEmpty()) {
            int[] a = new int[indices.size()];
            for (int i = 0; i < a.length; i++) {
                int v = indices.get(i);
                if (v < 0 || v >= size) throw new CliException("--index " + v + " is outside [0, " + size + ")");
                a[i] = v;
            }
            return a;
        }
        int n = Math.min(count, size);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /** The k most probable class indices, most probable first (ties: lower index first). */
    static int[] topClasses(float[] probs, int offset, int classes, int k) {
        return Model.top(java.util.Arrays.copyOfRange(probs, offset, offset + classes), k);
    }

    /** Coverage and accuracy of the answers given when abstaining below each threshold. */
    private void tradeOff(PrintWriter out, Evaluator evaluator, SoftmaxRegression m, Dataset test) {
        int n = test.size(), c = m.classes();
        float[] probs = new float[n * c];
        int[] pred = new int[n];
        evaluator.evaluate(m, test, pred, probs);
        TreeSet<Double> thresholds = new TreeSet<>();
        for (double t : THRESHOLDS) thresholds.add(t);
        thresholds.add(abstainBelow);
        List<String> rows = new ArrayList<>();
        for (double t : thresholds) {
            long answered = 0, right = 0;
            for (int i = 0; i < n; i++) {
                if (probs[i * c + pred[i]] >= t) {
                    answered++;
                    if (pred[i] == test.label(i)) right++;
                }
            }
            rows.add(String.format(
                    Locale.ROOT,
                    "%9.2f  %8.4f  %8.4f  %8d  %9d%s",
                    t,
                    (double) answered / n,
                    answered == 0 ? Double.NaN : (double) right / answered,
                    answered - right,
                    n - answered,
                    t == abstainBelow ? "   <- --abstain-below" : ""));
        }
        out.printf(
                Locale.ROOT,
                "%nabstaining when the top probability is below a threshold, on the %s examples of %s%n"
                        + "(coverage: share answered; accuracy and errors: among the answered):%n",
                Reports.grouped(n),
                test.name());
        out.println("threshold  coverage  accuracy    errors  abstained");
        rows.forEach(out::println);
    }
}
