package org.softmax4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;
import org.softmax4j.train.Evaluation;
import org.softmax4j.train.Evaluator;
import org.softmax4j.train.QuantizedModel;
import org.softmax4j.train.SoftmaxRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code softmax4j quantize}. */
@Command(
        header = "int8 weights with per-class scales: accuracy beside the float model.",
        name = "quantize",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Quantize a model's weights to int8 (symmetric, q in -127..127) with one scale "
                    + "per class and with one scale for the whole matrix, and compare their test "
                    + "accuracy with the float model's. Per-class scales extend int8's dynamic range "
                    + "without more bits: each class's weights get the full 8 bits.",
            ""
        })
final class QuantizeCommand implements Callable<Integer> {
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ModelLoader.Loaded loaded = ModelLoader.load(main, model);
        Kernels kernels = kernelOptions.kernels();
        Dataset testSet = data.judged(main.env, main.workDir, loaded.checkpoint());
        SoftmaxRegression m = loaded.checkpoint().model();
        int n = testSet.size();
        Evaluator evaluator = new Evaluator(kernels, m.features(), m.classes());
        int[] floatPred = new int[n];
        Evaluation f = evaluator.evaluate(m, testSet, floatPred, null);

        out.println(loaded.describe(main.workDir));
        QuantizedModel perClass = QuantizedModel.quantize(m, true);
        float minScale = Float.MAX_VALUE, maxScale = 0;
        for (float s : perClass.scales()) {
            minScale = Math.min(minScale, s);
            maxScale = Math.max(maxScale, s);
        }
        out.printf(
                Locale.ROOT,
                "weights %d x %d; max |w| per class from %.4g to %.4g (ratio %.2f)%n",
                m.features(),
                m.classes(),
                127 * minScale,
                127 * maxScale,
                maxScale / minScale);
        out.printf(
                Locale.ROOT,
                "%-26s %7s %11s %11s %9s %9s %7s%n",
                "weights",
                "bytes",
                "mean |err|",
                "max |err|",
                "test loss",
                "test acc",
                "agrees");
        out.printf(
                Locale.ROOT,
                "%-26s %7s %11s %11s %9.4f %9.4f %7s%n",
                "float32",
                Reports.grouped(4L * (m.weights().length + m.bias().length)),
                "0",
                "0",
                f.loss(),
                f.accuracy(),
                "1.0000");
        for (QuantizedModel q : new QuantizedModel[] {QuantizedModel.quantize(m, false), perClass}) {
            SoftmaxRegression dq = q.dequantize();
            double maxErr = 0, sumErr = 0;
            for (int i = 0; i < dq.weights().length; i++) {
                double err = Math.abs(dq.weights()[i] - m.weights()[i]);
                maxErr = Math.max(maxErr, err);
                sumErr += err;
            }
            int[] pred = new int[n];
            Evaluation e = evaluator.evaluate(dq, testSet, pred, null);
            int same = 0;
            for (int i = 0; i < n; i++) if (pred[i] == floatPred[i]) same++;
            out.printf(
                    Locale.ROOT,
                    "%-26s %7s %11.3g %11.3g %9.4f %9.4f %7.4f%n",
                    q.perClass() ? "int8, one scale per class" : "int8, one scale",
                    Reports.grouped(q.bytes()),
                    sumErr / dq.weights().length,
                    maxErr,
                    e.loss(),
                    e.accuracy(),
                    (double) same / n);
        }
        out.println("(bias kept in float32; 'agrees': fraction of test examples with the float model's prediction)");
        out.flush();
        return 0;
    }
}
