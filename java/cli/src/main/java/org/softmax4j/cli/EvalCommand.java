package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.cli.plot.Heatmap;
import org.softmax4j.data.Dataset;
import org.softmax4j.train.ConfusionMatrix;
import org.softmax4j.train.Evaluation;
import org.softmax4j.train.Evaluator;
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
        Evaluator evaluator = new Evaluator(kernels, m.features(), m.classes());
        boolean own = data.ownData(main.env, main.workDir);
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
        if (cm == null) {
            out.flush();
            return 0; // nothing to write: no confusion matrix at this many classes
        }
        Path dir = Outputs.runDir(main.workDir, this.out, "eval");
        String what = own ? label : "Fashion-MNIST test set";
        Reports.writeConfusion(
                dir,
                cm,
                testSet.classNames(),
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
        return 0;
    }
}
