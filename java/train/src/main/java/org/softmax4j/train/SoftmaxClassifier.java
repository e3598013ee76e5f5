package org.softmax4j.train;

import java.nio.file.Path;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.SparseDataset;
import org.softmax4j.data.Table;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.data.TextFeatures;

/**
 * Multinomial logistic regression (softmax regression) trained with
 * minibatch SGD on softmax4j's kernels: the one-call way from a table to a
 * {@link Model}.
 *
 * <pre>{@code
 * SoftmaxClassifier clf = SoftmaxClassifier.builder().epochs(20).learningRate(0.1f).build();
 * Model m = clf.fit(Table.csv(Path.of("customers.csv")).label("churn"));
 * m.save(Path.of("churn.s4j"));
 * }</pre>
 *
 * Scaling: the builder's {@link Builder#scale}, fitted on the training data;
 * by default float features are standardised and uint8 ones (images) keep
 * their data set's scaler (divide:255).
 */
public final class SoftmaxClassifier {
    private final TrainConfig config;
    private final Scaler scale;
    private final Kernels kernels;
    private final TrainingListener listener;
    private TrainResult last;

    private SoftmaxClassifier(Builder b) {
        config = b.config.build();
        scale = b.scale;
        kernels = b.kernels != null ? b.kernels : Kernels.cpu();
        listener = b.listener;
    }

    public static Builder builder() {
        return new Builder(TrainConfig.book());
    }

    /** A builder starting from the text preset ({@link TrainConfig#text()}), for {@link #fitText}. */
    public static Builder textBuilder() {
        return new Builder(TrainConfig.text());
    }

    /** Reads the table and trains on all of it. */
    public Model fit(Table table) {
        return fit(table.read());
    }

    /** Trains on {@code data} (a validation split comes out of it when the config asks for one). */
    public Model fit(Dataset data) {
        Dataset scaled = prepare(data);
        last = new Trainer(kernels, config).fit(scaled, null, listener);
        return new Model(last.model(), scaled.classNames(), scaled.featureNames(), scaled.scaler(), kernels);
    }

    /**
     * Trains on a file of raw text (see {@link TextCorpus}: delimited columns or fastText's
     * format), the documents turned into {@code features} (idf fitted here when {@code tfidf});
     * the model predicts from raw text ({@link Model#predictText}). Sparse SGD ({@link SparseTrainer}):
     * momentum or weight decay, not both.
     */
    public Model fitText(Path file, TextCorpus.Layout layout, TextFeatures features, boolean tfidf) {
        TextCorpus.Fitted fitted = TextCorpus.fit(file, layout, features, tfidf);
        SparseDataset d = fitted.data();
        SparseTrainer.Result r = new SparseTrainer(kernels, config)
                .fit(new SparseTrainer.Data(d.rows(), d.labels(), null), null, d.classes(), listener, null);
        return Model.ofText(r.model(), d.classNames(), fitted.features(), kernels);
    }

    /** {@code data} with this classifier's scaler fitted on it (what {@link #fit} trains on). */
    public Dataset prepare(Dataset data) {
        Scaler s = scale != null ? scale : data.matrix().type() == DType.U8 ? data.scaler() : Scaler.parse("standard");
        return data.withScaler(s.fit(data));
    }

    /** The outcome of the last {@link #fit}: history, timing, the full training state. */
    public TrainResult lastResult() {
        return last;
    }

    public TrainConfig config() {
        return config;
    }

    /** Settings of a {@link SoftmaxClassifier}: the book's (see {@link TrainConfig#book()}) unless set. */
    public static final class Builder {
        private final TrainConfig.Builder config;
        private Scaler scale;
        private Kernels kernels;
        private TrainingListener listener = TrainingListener.NONE;

        private Builder(TrainConfig start) {
            config = start.toBuilder();
        }

        public Builder epochs(int v) {
            config.epochs(v);
            return this;
        }

        public Builder batchSize(int v) {
            config.batchSize(v);
            return this;
        }

        public Builder learningRate(float v) {
            config.lr(v);
            return this;
        }

        public Builder momentum(float v) {
            config.momentum(v);
            return this;
        }

        public Builder weightDecay(float v) {
            config.weightDecay(v);
            return this;
        }

        public Builder schedule(LrSchedule v) {
            config.schedule(v);
            return this;
        }

        public Builder seed(long v) {
            config.seed(v);
            return this;
        }
        /** Early stopping on a validation split of this fraction, after {@code patience} epochs without gain. */
        public Builder earlyStopping(double valFraction, int patience) {
            config.valFraction(valFraction).patience(patience);
            return this;
        }

        public Builder stratify(boolean v) {
            config.stratify(v);
            return this;
        }
        /** The scaling (see {@link Scaler#parse}: none, standard, minmax, divide:N). */
        public Builder scale(String v) {
            scale = Scaler.parse(v);
            return this;
        }

        public Builder kernels(Kernels v) {
            kernels = v;
            return this;
        }

        public Builder listener(TrainingListener v) {
            listener = v;
            return this;
        }

        /** The classifier; an invalid setting is an IllegalArgumentException naming it. */
        public SoftmaxClassifier build() {
            return new SoftmaxClassifier(this);
        }
    }
}
