package org.softmax4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.softmax4j.Kernels;
import org.softmax4j.cli.plot.Png;
import org.softmax4j.cli.plot.SvgPlot;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;
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

/** {@code softmax4j misclassified}. */
@Command(
        header = "An image grid of misclassified test images (SVG).",
        name = "misclassified",
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Draw a grid of test images the model gets wrong, each with its true and "
                    + "predicted class and the predicted probability (misclassified.svg, the 28x28 "
                    + "images embedded as PNG).",
            ""
        })
final class MisclassifiedCommand implements Callable<Integer> {
    private static final int SCALE = 3, CELL_W = 150, CELL_H = 28 * SCALE + 44;

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
            names = "--count",
            paramLabel = "N",
            defaultValue = "36",
            description = "Images in the grid (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(
            names = "--columns",
            paramLabel = "N",
            defaultValue = "6",
            description = "Images per row (default: ${DEFAULT-VALUE}).")
    int columns;

    @Option(
            names = "--most-confident",
            description = "Show the most confident mistakes first instead of the first ones in the test set.")
    boolean mostConfident;

    @Mixin
    DataOptions data;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    PictureOptions pictures;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory (default: runs/misclassified-yyyyMMdd-HHmmss).")
    Path out;

    @Option(
            names = "--image-shape",
            paramLabel = "HxW",
            description =
                    "Height and width of the images of a --data file (its features, row by row; default: Fashion-MNIST's 28x28).")
    String imageShape;

    /** A wrong answer. */
    record Mistake(int index, int truth, int predicted, float probability) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        if (count < 1) throw new CliException("--count must be >= 1: " + count);
        if (columns < 1) throw new CliException("--columns must be >= 1: " + columns);
        ModelLoader.Loaded loaded = ModelLoader.load(main, model);
        Kernels kernels = kernelOptions.kernels();
        SoftmaxRegression m = loaded.checkpoint().model();
        int[] shape = shape(m.features());
        Dataset test = data.judged(main.env, main.workDir, loaded.checkpoint());
        List<String> names = test.classNames();
        int n = test.size(), c = m.classes();
        int[] pred = new int[n];
        float[] probs = new float[n * c];
        Evaluation e = new Evaluator(kernels, m.features(), c).evaluate(m, test, pred, probs);
        List<Mistake> wrong = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (pred[i] != test.label(i)) wrong.add(new Mistake(i, test.label(i), pred[i], probs[i * c + pred[i]]));
        }
        if (mostConfident)
            wrong.sort(Comparator.comparingDouble(Mistake::probability).reversed());
        List<Mistake> shown = wrong.subList(0, Math.min(count, wrong.size()));
        Path dir = Outputs.runDir(main.workDir, out, "misclassified");
        Path file = dir.resolve(pictures.file("misclassified"));
        pictures.write(
                dir,
                "misclassified",
                grid(shown, test, names, columns, shape[0], shape[1], mostConfident, wrong.size()));

        stdout.println(loaded.describe(main.workDir));
        stdout.printf(
                Locale.ROOT,
                "%s of %s test images misclassified (accuracy %.4f); the grid shows %s%d%n",
                Reports.grouped(wrong.size()),
                Reports.grouped(n),
                e.accuracy(),
                mostConfident ? "the most confident " : "the first ",
                shown.size());
        for (Mistake w : shown.subList(0, Math.min(10, shown.size()))) {
            stdout.printf(
                    Locale.ROOT,
                    "%6d  true %-12s predicted %-12s p=%s%n",
                    w.index(),
                    names.get(w.truth()),
                    names.get(w.predicted()),
                    Reports.probability(w.probability()));
        }
        if (shown.size() > 10) stdout.println("   ...");
        stdout.println("outputs: " + Outputs.show(main.workDir, file));
        stdout.flush();
        return 0;
    }

    /** Example i's features as gray pixels, inverted (dark ink on white): bytes as they are, floats spread to 0-255. */
    private static void pixels(Dataset d, int i, byte[] out) {
        boolean bytes = d.matrix().type() == org.softmax4j.DType.U8;
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        if (!bytes) {
            for (int j = 0; j < out.length; j++) {
                lo = Math.min(lo, d.value(i, j));
                hi = Math.max(hi, d.value(i, j));
            }
        }
        float span = hi > lo ? hi - lo : 1f;
        for (int j = 0; j < out.length; j++) {
            float v = bytes ? d.value(i, j) : 255f * (d.value(i, j) - lo) / span;
            out[j] = (byte) (255 - Math.round(v));
        }
    }

    /** Height and width of the images: --image-shape, else 28x28 for Fashion-MNIST. */
    private int[] shape(int features) {
        if (imageShape == null) {
            if (data.ownData(main.env, main.workDir)) {
                throw new CliException("misclassified draws images: for a --data file of images give their "
                        + "shape, --image-shape HxW (H x W = its " + features + " features)");
            }
            return new int[] {FashionMnist.SIDE, FashionMnist.SIDE};
        }
        String[] hw = imageShape.toLowerCase(Locale.ROOT).split("x");
        try {
            int h = Integer.parseInt(hw[0].strip()), w = Integer.parseInt(hw[1].strip());
            if (hw.length != 2 || h < 1 || w < 1) throw new NumberFormatException();
            if ((long) h * w != features) {
                throw new CliException("--image-shape " + imageShape + " is " + (long) h * w + " pixels; the model has "
                        + features + " features");
            }
            return new int[] {h, w};
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new CliException("--image-shape '" + imageShape + "': expected HxW, e.g. 28x28");
        }
    }

    /** The SVG grid; images inverted (dark ink on white) and scaled up without smoothing. */
    static String grid(
            List<Mistake> mistakes,
            Dataset test,
            List<String> names,
            int cols,
            int h,
            int w,
            boolean mostConfident,
            int wrong) {
        int rows = Math.max(1, (mistakes.size() + cols - 1) / cols);
        int width = Math.max(cols * CELL_W, 620), height = rows * CELL_H + 30;
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " + "viewBox=\"0 0 %d %d\">%n",
                width,
                height,
                width,
                height));
        sb.append("<style>text{font-family:Helvetica,Arial,sans-serif;font-size:11px}.t{fill:#006d2c}"
                + ".p{fill:#b2182b}.h{font-size:13px;font-weight:bold}</style>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text class=\"h\" x=\"8\" y=\"19\">"
                + SvgPlot.esc(String.format(
                        Locale.ROOT,
                        "%s %d of %,d misclassified %s images (green: true class, red: predicted, with its probability)",
                        mostConfident ? "The most confident" : "The first",
                        mistakes.size(),
                        wrong,
                        test.name()))
                + "</text>\n");
        byte[] img = new byte[test.features()];
        for (int k = 0; k < mistakes.size(); k++) {
            Mistake mk = mistakes.get(k);
            pixels(test, mk.index(), img);
            String png = Base64.getEncoder().encodeToString(Png.gray(w, h, img, 0));
            int x = (k % cols) * CELL_W + 8, y = (k / cols) * CELL_H + 30;
            int side = 28 * SCALE, dw = side * w / Math.max(h, w), dh = side * h / Math.max(h, w);
            sb.append(String.format(
                    Locale.ROOT,
                    "<image x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                            + "style=\"image-rendering:pixelated\" href=\"data:image/png;base64,%s\"/>%n",
                    x,
                    y,
                    dw,
                    dh,
                    png));
            sb.append(String.format(
                    Locale.ROOT,
                    "<text class=\"t\" x=\"%d\" y=\"%d\">#%d %s</text>%n",
                    x,
                    y + side + 14,
                    mk.index(),
                    SvgPlot.esc(names.get(mk.truth()))));
            sb.append(String.format(
                    Locale.ROOT,
                    "<text class=\"p\" x=\"%d\" y=\"%d\">%s %s</text>%n",
                    x,
                    y + side + 28,
                    SvgPlot.esc(names.get(mk.predicted())),
                    Reports.probability(mk.probability())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }
}
