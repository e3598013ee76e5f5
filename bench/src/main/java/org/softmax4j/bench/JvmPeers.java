package org.softmax4j.bench;

import java.util.Locale;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;

/**
 * The JVM libraries a Java user would otherwise pick for softmax regression, on
 * Fashion-MNIST with the same 60,000/10,000 split: Smile's multinomial
 * LogisticRegression (L-BFGS, 100 iterations, no penalty: sklearn's setting) and
 * Tribuo's LinearSGDTrainer (log loss, AdaGrad, 10 epochs). Run as its own JVM
 * and timed whole, data loading included (bench/peers/jvm_peers.sh).
 *
 * <p>usage: JvmPeers smile|tribuo
 */
public final class JvmPeers {
    private JvmPeers() {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "";
        long t0 = System.nanoTime();
        FashionMnist fm = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        double accuracy = switch (which) {
            case "smile" -> smile(fm);
            case "tribuo" -> tribuo(fm);
            default -> {
                System.err.println("usage: JvmPeers smile|tribuo");
                System.exit(2);
                yield 0;
            }
        };
        System.out.printf(
                Locale.ROOT,
                "%s: test accuracy %.4f, %.1f s in the JVM%n",
                which,
                accuracy,
                (System.nanoTime() - t0) / 1e9);
    }

    private static double[][] features(Dataset d) {
        double[][] x = new double[d.size()][d.features()];
        for (int i = 0; i < d.size(); i++) for (int j = 0; j < d.features(); j++) x[i][j] = d.pixel(i, j) / 255.0;
        return x;
    }

    private static int[] labels(Dataset d) {
        int[] y = new int[d.size()];
        for (int i = 0; i < y.length; i++) y[i] = d.label(i);
        return y;
    }

    private static double smile(FashionMnist fm) {
        var model = smile.classification.LogisticRegression.multinomial(
                features(fm.train()),
                labels(fm.train()),
                new smile.classification.LogisticRegression.Options(0, 1e-5, 100));
        double[][] x = features(fm.test());
        int[] y = labels(fm.test());
        int ok = 0;
        for (int i = 0; i < y.length; i++) if (model.predict(x[i]) == y[i]) ok++;
        return ok / (double) y.length;
    }

    private static double tribuo(FashionMnist fm) {
        var factory = new org.tribuo.classification.LabelFactory();
        String[] names = new String[fm.train().features()];
        for (int j = 0; j < names.length; j++) names[j] = "p" + j;
        var train = tribuoData(fm.train(), names, factory);
        var trainer = new org.tribuo.classification.sgd.linear.LinearSGDTrainer(
                new org.tribuo.classification.sgd.objectives.LogMulticlass(),
                new org.tribuo.math.optimisers.AdaGrad(0.1),
                10,
                1L);
        var model = trainer.train(train);
        var eval = new org.tribuo.classification.evaluation.LabelEvaluator()
                .evaluate(model, tribuoData(fm.test(), names, factory));
        return eval.accuracy();
    }

    private static org.tribuo.MutableDataset<org.tribuo.classification.Label> tribuoData(
            Dataset d, String[] names, org.tribuo.classification.LabelFactory factory) {
        var data = new org.tribuo.MutableDataset<org.tribuo.classification.Label>(
                new org.tribuo.provenance.SimpleDataSourceProvenance("fashion-mnist", factory), factory);
        for (int i = 0; i < d.size(); i++) {
            double[] v = new double[names.length];
            for (int j = 0; j < v.length; j++) v[j] = d.pixel(i, j) / 255.0;
            data.add(new org.tribuo.impl.ArrayExample<>(
                    new org.tribuo.classification.Label(Integer.toString(d.label(i))), names, v));
        }
        return data;
    }
}
