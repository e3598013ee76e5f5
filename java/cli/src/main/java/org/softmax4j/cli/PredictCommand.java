package org.softmax4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.data.DataException;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;
import org.softmax4j.data.IdxFile;
import org.softmax4j.data.IdxReader;
import org.softmax4j.train.Evaluator;
import org.softmax4j.train.SoftmaxRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code softmax4j predict}. */
@Command(header = "Top-k classes with probabilities; optionally abstain when unsure.",
        name = "predict", sortOptions = false, mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"Classify images with a saved model and print the top-k classes with their "
                + "probabilities. With --abstain-below P the model refuses to answer when its top "
                + "probability is below P (as a diagnosis should, rather than guess), and the "
                + "coverage/accuracy trade-off over thresholds on the test set is reported.", ""},
        footer = {"", "Example: softmax4j predict --count 5 --top-k 3 --abstain-below 0.6"})
final class PredictCommand implements Callable<Integer> {
    private static final double[] THRESHOLDS = {0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "Model file (default: the newest runs/train-*/model.s4j).")
    Path model;

    @Option(names = "--index", split = ",", paramLabel = "I",
            description = "Which images (0-based, comma-separated) to classify.")
    List<Integer> indices;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10",
            description = "Without --index: classify the first N images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--images", paramLabel = "FILE",
            description = "IDX file of 28x28 images (.gz or raw) to classify instead of the test set.")
    Path images;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "IDX file of the true labels of --images, to mark wrong answers.")
    Path labels;

    @Option(names = {"-k", "--top-k"}, paramLabel = "K", defaultValue = "3",
            description = "Classes to show per image, most probable first (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--abstain-below", paramLabel = "P",
            description = "Abstain when the top probability is below P, in [0, 1]; also prints the "
                    + "coverage and accuracy of abstaining at several thresholds on the test set.")
    Double abstainBelow;

    @Mixin
    DataOptions data;

    @Mixin
    KernelOptions kernelOptions;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (topK < 1 || topK > FashionMnist.CLASSES) throw new CliException("--top-k must be in [1, 10]: " + topK);
        if (abstainBelow != null && !(abstainBelow >= 0 && abstainBelow <= 1)) {
            throw new CliException("--abstain-below must be in [0, 1]: " + abstainBelow);
        }
        if (count < 0) throw new CliException("--count must be >= 0: " + count);
        if (labels != null && images == null) throw new CliException("--labels goes with --images");
        ModelLoader.Loaded loaded = ModelLoader.load(main, model);
        Kernels kernels = kernelOptions.kernels();
        SoftmaxRegression m = loaded.checkpoint().model();
        List<String> names = loaded.checkpoint().classNames().isEmpty() ? FashionMnist.CLASS_NAMES
                : loaded.checkpoint().classNames();

        FashionMnist mnist = images == null || abstainBelow != null ? data.load(main.env) : null;
        Dataset set;
        boolean labelled = true;
        if (images != null) {
            set = readImages();
            labelled = labels != null;
        } else {
            set = mnist.test();
        }
        int[] chosen = chosen(set.size());
        Dataset shown = set.select("images", chosen);
        Evaluator evaluator = new Evaluator(kernels, m.features(), m.classes());
        float[] probs = new float[shown.size() * m.classes()];
        evaluator.evaluate(m, shown, null, probs);

        out.println(loaded.describe(main.workDir));
        int nameWidth = names.stream().mapToInt(String::length).max().orElse(8);
        out.printf(Locale.ROOT, "%6s  %s%s%n", "image", labelled ? String.format("%-" + nameWidth + "s  ", "true") : "",
                "prediction (top " + topK + ")");
        for (int i = 0; i < shown.size(); i++) {
            int[] order = topClasses(probs, i * m.classes(), m.classes());
            StringBuilder classes = new StringBuilder();
            for (int r = 0; r < topK; r++) {
                classes.append(r == 0 ? "" : "  ").append(names.get(order[r]))
                        .append(String.format(Locale.ROOT, " %.3f", probs[i * m.classes() + order[r]]));
            }
            float top = probs[i * m.classes() + order[0]];
            String answer;
            if (abstainBelow != null && top < abstainBelow) {
                answer = String.format(Locale.ROOT, "abstain (top %.3f < %s): %s", top,
                        abstainBelow, classes);
            } else {
                answer = classes + (labelled && order[0] != shown.label(i) ? "   <- wrong" : "");
            }
            out.printf(Locale.ROOT, "%6d  %s%s%n", chosen[i],
                    labelled ? String.format("%-" + nameWidth + "s  ", names.get(shown.label(i))) : "", answer);
        }
        if (abstainBelow != null) tradeOff(out, evaluator, m, mnist.test());
        out.flush();
        return 0;
    }

    /** The images of --images, with the labels of --labels (or 0 as a placeholder). */
    private Dataset readImages() {
        try {
            IdxFile img = IdxReader.readImages(main.workDir.resolve(images), FashionMnist.SIDE, FashionMnist.SIDE);
            byte[] lab = new byte[img.count()];
            if (labels != null) {
                IdxFile l = IdxReader.readLabels(main.workDir.resolve(labels), FashionMnist.CLASSES);
                if (l.count() != img.count()) {
                    throw new CliException(images + " has " + img.count() + " images but " + labels
                            + " has " + l.count() + " labels");
                }
                lab = l.data();
            }
            return Dataset.of("images", img.data(), lab, FashionMnist.FEATURES, FashionMnist.CLASSES);
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

    /** Class indices by decreasing probability (ties: lower index first). */
    static int[] topClasses(float[] probs, int offset, int classes) {
        Integer[] order = new Integer[classes];
        for (int k = 0; k < classes; k++) order[k] = k;
        java.util.Arrays.sort(order, (a, b) -> {
            int c = Float.compare(probs[offset + b], probs[offset + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] r = new int[classes];
        for (int k = 0; k < classes; k++) r[k] = order[k];
        return r;
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
            rows.add(String.format(Locale.ROOT, "%9.2f  %8.4f  %8.4f  %8d  %9d%s", t, (double) answered / n,
                    answered == 0 ? Double.NaN : (double) right / answered, answered - right, n - answered,
                    t == abstainBelow ? "   <- --abstain-below" : ""));
        }
        out.printf(Locale.ROOT, "%nabstaining when the top probability is below a threshold, on the %s test images%n"
                + "(coverage: share answered; accuracy and errors: among the answered):%n", Reports.grouped(n));
        out.println("threshold  coverage  accuracy    errors  abstained");
        rows.forEach(out::println);
    }
}
