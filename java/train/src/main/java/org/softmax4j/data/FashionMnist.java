package org.softmax4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 70,000 grayscale 28x28
 * images of 10 kinds of clothing, 60,000 for training and 10,000 for testing,
 * in four IDX files. Pixels stay unsigned bytes in memory (47 MB for the
 * training images); scaling to [0, 1] happens per batch.
 *
 * <p>Where it is read from: an explicit directory (the CLI's {@code --data}),
 * else the environment variable {@value #ENV}, else {@link #DEFAULT_DIR},
 * where Debian's package {@code dataset-fashion-mnist} installs it. Each file
 * may be gzip-compressed ({@code .gz}, as distributed) or raw.
 *
 * @param train the 60,000 training examples
 * @param test  the 10,000 test examples
 */
public record FashionMnist(Dataset train, Dataset test) {

    /** The ten classes, in label order. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Image height and width. */
    public static final int SIDE = 28;
    /** Pixels per image. */
    public static final int FEATURES = SIDE * SIDE;
    /** Number of classes. */
    public static final int CLASSES = 10;
    /** Where Debian/Ubuntu's {@code dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** Environment variable naming the data directory. */
    public static final String ENV = "SOFTMAX4J_DATA";
    /** The four files, without the {@code .gz} suffix. */
    public static final List<String> FILES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /**
     * The data directory: {@code explicit} when given, else {@value #ENV} from
     * {@code env} when set and non-empty, else {@link #DEFAULT_DIR}.
     */
    public static Path resolveDir(Path explicit, Map<String, String> env) {
        if (explicit != null) return explicit;
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv.trim());
        return DEFAULT_DIR;
    }

    /** How to get the data set, for a message about {@code dir} lacking it. */
    public static String howToInstall() {
        return "install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), "
                + "or download the four IDX .gz files (" + String.join(".gz, ", FILES)
                + ".gz) from https://github.com/zalandoresearch/fashion-mnist into a folder and "
                + "pass --data DIR (or set " + ENV + "=DIR)";
    }

    /**
     * The file {@code name} in dir: {@code name.gz}, else {@code name} uncompressed.
     *
     * @throws DataException naming the directory, the file and how to get it when neither exists
     */
    public static Path locate(Path dir, String name) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("Fashion-MNIST not found: " + dir + " does not exist or is " + "not a directory; "
                    + howToInstall());
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.exists(gz)) return gz;
        Path raw = dir.resolve(name);
        if (Files.exists(raw)) return raw;
        throw new DataException(
                "Fashion-MNIST incomplete: " + dir + " has no " + name + ".gz (or " + name + "); " + howToInstall());
    }

    /**
     * Reads and validates the four files of {@code dir} (the training images
     * are decompressed on a second thread while the rest are read).
     *
     * @throws DataException when a file is missing, invalid, or images and labels disagree
     */
    public static FashionMnist load(Path dir) {
        Path[] paths = new Path[FILES.size()];
        for (int i = 0; i < paths.length; i++) paths[i] = locate(dir, FILES.get(i));
        CompletableFuture<IdxFile> trainImages =
                CompletableFuture.supplyAsync(() -> IdxReader.readImages(paths[0], SIDE, SIDE));
        IdxFile trainLabels, testImages, testLabels;
        try {
            trainLabels = IdxReader.readLabels(paths[1], CLASSES);
            testImages = IdxReader.readImages(paths[2], SIDE, SIDE);
            testLabels = IdxReader.readLabels(paths[3], CLASSES);
        } catch (RuntimeException e) {
            trainImages.handle((f, t) -> null).join(); // let the reader finish; report this error
            throw e;
        }
        IdxFile trainImagesFile;
        try {
            trainImagesFile = trainImages.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        return new FashionMnist(
                dataset("train", trainImagesFile, trainLabels), dataset("test", testImages, testLabels));
    }

    private static Dataset dataset(String name, IdxFile images, IdxFile labels) {
        if (images.count() != labels.count()) {
            throw new DataException(images.path() + " has " + images.count() + " images but " + labels.path() + " has "
                    + labels.count() + " labels");
        }
        Dataset d = Dataset.of(name, images.data(), labels.data(), images.itemSize(), CLASSES);
        int[] y = new int[d.size()];
        for (int i = 0; i < y.length; i++) y[i] = d.label(i);
        return Dataset.of(name, d.matrix(), y, CLASS_NAMES, List.of(), d.scaler());
    }
}
