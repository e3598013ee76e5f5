package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.cli.plot.Heatmap;
import org.softmax4j.data.DataException;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.SparseDataset;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.train.Checkpoint;
import org.softmax4j.train.ConfusionMatrix;
import org.softmax4j.train.Evaluation;
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

/** {@code softmax4j eval}. */
@Command(
        header = "Loss, accuracy and confusion matrix of a saved model.",
        name = "eval",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Evaluate a saved model: loss, accuracy and confusion matrix on --data FILE "
                    + "(with labels), or on Fashion-MNIST's training and test sets. Writes the "
                    + "confusion matrix as CSV and as a heatmap (confusion.svg, or .png) to the output directory.",
            ""
        })
final class EvalCommand implements Callable<Integer> {
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

    @Mixin
    DataOptions data;

    @Option(
            names = "--text-column",
            paramLabel = "COLUMN",
            description = "A text model and a TSV --data file: the 0-based column of the text (the label: --label, "
                    + "default 0, or 1 when the text is column 0). Without it: fastText's format, else label TAB text.")
    Integer textColumn;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    PictureOptions pictures;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/eval-yyyyMMdd-HHmmss).")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ModelLoader.Loaded loaded = ModelLoader.load(main, model);
        Kernels kernels = kernelOptions.kernels();
        SoftmaxRegression m = loaded.checkpoint().model();
        boolean own = data.ownData(main.env, main.workDir);
        if (loaded.checkpoint().text() != null || m.features() > SparseTraining.SPARSE_FEATURES) {
            if (!own) throw new CliException("a model of sparse rows (text, wide LIBSVM) is judged on --data FILE");
            return evalSparse(out, loaded, kernels);
        }
        Evaluator evaluator = new Evaluator(kernels, m.features(), m.classes());
        Dataset testSet = data.judged(main.env, main.workDir, loaded.checkpoint());
        out.println(loaded.describe(main.workDir));
        if (!own) {
            // the final weights over the whole training set, not the running mean of the last epoch
            Evaluation train = evaluator.evaluate(
                    m, data.fashionMnistFor(main.env, loaded.checkpoint()).train());
            out.printf(
                    Locale.ROOT,
                    "train: loss %.4f, accuracy %.4f (%d/%d) (the final weights on every "
                            + "training example; train's epoch lines show the mean over the epoch's steps)%n",
                    train.loss(),
                    train.accuracy(),
                    train.correct(),
                    train.count());
        }
        int[] predictions = new int[testSet.size()];
        Evaluation test = evaluator.evaluate(m, testSet, predictions, null);
        String label = own ? String.valueOf(data.path.getFileName()) : "test";
        out.printf(
                Locale.ROOT,
                "%s:  loss %.4f, accuracy %.4f (%d/%d)%n",
                label,
                test.loss(),
                test.accuracy(),
                test.correct(),
                test.count());
        ConfusionMatrix cm = Reports.confusion(testSet, predictions);
        out.print(Reports.confusionTable(cm, testSet.classNames(), testSet.classes()));
        out.printf(Locale.ROOT, "%s accuracy: %.4f%n", own ? label : "test", test.accuracy());
        writeConfusion(out, loaded, cm, testSet.classNames(), own ? label : "Fashion-MNIST test set", test);
        return 0;
    }

    /** A text or wide-LIBSVM model on its sparse rows: loss, accuracy, confusion. */
    private int evalSparse(PrintWriter out, ModelLoader.Loaded loaded, Kernels kernels) throws IOException {
        Checkpoint ckpt = loaded.checkpoint();
        Model model = Model.of(ckpt, kernels);
        List<String> names = model.classNames();
        Path file = main.workDir.resolve(data.path);
        SparseDataset d;
        try {
            d = ckpt.text() != null
                    ? TextCorpus.read(
                            file,
                            textColumn != null
                                    ? TextOptions.layout(file, data, textColumn)
                                    : TextCorpus.detect(file, new TextCorpus.Layout.Columns(0, 1, '\t', false)),
                            ckpt.text(),
                            names,
                            true)
                    : SparseDataset.libsvm(file, model.features(), names);
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
        float[][] p = model.predictSparse(d.rows());
        int c = names.size();
        long[][] counts = new long[c][c];
        double loss = 0;
        long right = 0;
        for (int i = 0; i < d.size(); i++) {
            int y = d.labels()[i], k = Model.top(p[i], 1)[0];
            counts[y][k]++;
            if (k == y) right++;
            loss -= Math.log(Math.max(p[i][y], Float.MIN_VALUE));
        }
        Evaluation test = new Evaluation(loss / d.size(), right, d.size());
        String label = String.valueOf(data.path.getFileName());
        out.println(loaded.describe(main.workDir));
        out.printf(
                Locale.ROOT,
                "%s:  loss %.4f, accuracy %.4f (%d/%d)%n",
                label,
                test.loss(),
                test.accuracy(),
                test.correct(),
                test.count());
        ConfusionMatrix cm = c <= Reports.CONFUSION_MAX_CLASSES ? new ConfusionMatrix(counts) : null;
        out.print(Reports.confusionTable(cm, names, c));
        out.printf(Locale.ROOT, "%s accuracy: %.4f%n", label, test.accuracy());
        writeConfusion(out, loaded, cm, names, label, test);
        return 0;
    }

    /** confusion.csv and its picture into the run directory (nothing above the classes drawn). */
    private void writeConfusion(
            PrintWriter out,
            ModelLoader.Loaded loaded,
            ConfusionMatrix cm,
            List<String> names,
            String what,
            Evaluation test)
            throws IOException {
        if (cm == null) {
            out.flush();
            return; // nothing to write: no confusion matrix at this many classes
        }
        Path dir = Outputs.runDir(main.workDir, this.out, "eval");
        Reports.writeConfusion(
                dir,
                cm,
                names,
                "Confusion on " + what,
                String.format(
                        Locale.ROOT,
                        "model %s; accuracy %.4f (%d/%d)",
                        Outputs.show(main.workDir, loaded.path()),
                        test.accuracy(),
                        test.correct(),
                        test.count()),
                pictures);
        out.println("outputs: " + Outputs.show(main.workDir, dir) + "/ (confusion.csv"
                + (cm.classes() <= Heatmap.MAX_CLASSES ? ", " + pictures.file("confusion") : "") + ")");
        out.flush();
    }
}
