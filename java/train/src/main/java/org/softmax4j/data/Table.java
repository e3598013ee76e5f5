package org.softmax4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A labelled table in a file, and how to read it: CSV/TSV, LIBSVM/SVMlight,
 * NumPy ({@code .npy} features with {@code .npy} labels, or a {@code .npz}
 * archive) or IDX. {@link #read()} parses it once into a memory-mapped
 * {@link FeatureCache} file (in {@link #cacheDir}, reused while the source
 * file and the options are unchanged), so a table larger than the heap
 * trains without being loaded.
 *
 * <pre>{@code
 * Dataset d = Table.csv(Path.of("customers.csv")).label("churn").drop("id").read();
 * }</pre>
 *
 * <p>Labels may be numbers or strings; the classes are the distinct labels,
 * sorted (numerically when all are numbers), and keep their names. Every
 * problem is a {@link DataException} naming the file and, where it applies,
 * the line and column.
 */
public final class Table {
    /** The file formats. */
    public enum Format {
        CSV,
        LIBSVM,
        NPY,
        NPZ,
        IDX
    }

    /** Environment variable naming the cache folder. */
    public static final String CACHE_ENV = "SOFTMAX4J_CACHE";

    private final Format format;
    private final Path path;
    private Path labelsPath;
    private String label;
    private Character delimiter;
    private Boolean header;
    private final Set<String> drop = new LinkedHashSet<>();
    private Missing missing = Missing.ERROR;
    private Path cacheDir;
    private String xArray = "X", yArray = "y";

    private Table(Format format, Path path) {
        this.format = format;
        this.path = path;
    }

    /** A CSV or TSV file (delimiter and header detected unless set). */
    public static Table csv(Path file) {
        return new Table(Format.CSV, file);
    }

    /** A LIBSVM / SVMlight file. */
    public static Table libsvm(Path file) {
        return new Table(Format.LIBSVM, file);
    }

    /** The feature count of a LIBSVM file (its largest index), every line's syntax checked. */
    public static int libsvmFeatures(Path file) {
        return new LibsvmReader(file, 0).features();
    }

    /** A .npy of features (N x D) and a .npy of labels (N). */
    public static Table npy(Path features, Path labels) {
        Table t = new Table(Format.NPY, features);
        t.labelsPath = labels;
        return t;
    }

    /** A .npz archive with arrays X (features) and y (labels) unless {@link #arrays} says otherwise. */
    public static Table npz(Path file) {
        return new Table(Format.NPZ, file);
    }

    /** IDX images (N x rows x cols, uint8) and labels. */
    public static Table idx(Path images, Path labels) {
        Table t = new Table(Format.IDX, images);
        t.labelsPath = labels;
        return t;
    }

    /**
     * The format of {@code file} by its name: .csv, .tsv, .txt: CSV; .svm,
     * .libsvm, .svmlight: LIBSVM; .npz; .npy (needs {@code labels}); IDX
     * (name with -idx, or .idx; needs {@code labels}).
     *
     * @param labels the labels' file (.npy, IDX), or null
     * @throws DataException when the name says nothing known
     */
    public static Table of(Path file, Path labels) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("\\.gz$", "");
        Table t;
        if (n.endsWith(".npy")) {
            if (labels == null)
                throw new DataException(
                        file + ": a .npy file holds features only: give the labels' .npy too (--labels)");
            t = npy(file, labels);
        } else if (n.endsWith(".npz")) {
            t = npz(file);
        } else if (n.contains("-idx") || n.endsWith(".idx")) {
            if (labels == null) throw new DataException(file + ": IDX images need their labels' IDX file (--labels)");
            t = idx(file, labels);
        } else if (n.endsWith(".svm") || n.endsWith(".libsvm") || n.endsWith(".svmlight")) {
            t = libsvm(file);
        } else {
            t = csv(file);
        }
        if (labels != null && (t.format == Format.CSV || t.format == Format.LIBSVM || t.format == Format.NPZ)) {
            throw new DataException(file + ": labels of " + t.format
                    + " files are inside them (drop --labels; use --label COLUMN for CSV)");
        }
        return t;
    }

    public Format format() {
        return format;
    }

    public Path path() {
        return path;
    }

    /** The label's column (CSV): a header name or a 0-based index. Default: label, class, target or y, else the last. */
    public Table label(String column) {
        this.label = column;
        return this;
    }

    /** The CSV delimiter (default: detected from the first line; tab for .tsv). */
    public Table delimiter(char c) {
        this.delimiter = c;
        return this;
    }

    /** Whether the CSV's first line is a header (default: detected). */
    public Table header(boolean h) {
        this.header = h;
        return this;
    }

    /** CSV columns to leave out (names or 0-based indexes). */
    public Table drop(String... columns) {
        drop.addAll(List.of(columns));
        return this;
    }

    /** What to do with a missing value (default {@link Missing#ERROR}). */
    public Table missing(Missing m) {
        this.missing = m;
        return this;
    }

    /** The names of the feature and label arrays in a .npz (default X and y). */
    public Table arrays(String features, String labels) {
        this.xArray = features;
        this.yArray = labels;
        return this;
    }

    /** Where cache files go (default: $SOFTMAX4J_CACHE, else $XDG_CACHE_HOME/softmax4j, else ~/.cache/softmax4j). */
    public Table cacheDir(Path dir) {
        this.cacheDir = dir;
        return this;
    }

    /** The cache folder of {@code env} (the process environment, or a test's). */
    public static Path defaultCacheDir(Map<String, String> env) {
        String own = env.get(CACHE_ENV);
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "softmax4j");
        return Path.of(System.getProperty("user.home"), ".cache", "softmax4j");
    }

    /** Reads the table; the classes are the labels found in it. */
    public Dataset read() {
        return read(null, null, 0, true);
    }

    /**
     * Reads the table for a trained model: labels mapped onto its classes (an
     * unknown label is an error), features matched to its features (by name
     * from a CSV header, else by count).
     *
     * @param classes        the model's classes
     * @param featureNames   the model's feature names, or empty (match by count)
     * @param features       the model's feature count
     * @param labelsRequired false to accept a table without labels
     *                       ({@link Dataset#isLabelled()} then says which it was)
     */
    public Dataset readFor(List<String> classes, List<String> featureNames, int features, boolean labelsRequired) {
        Dataset d = read(classes, featureNames.isEmpty() ? null : featureNames, features, labelsRequired);
        if (d.features() != features) {
            throw new DataException(path + ": " + d.features() + " features, the model has " + features);
        }
        return d;
    }

    /** {@code features}: the model's feature count (a LIBSVM file's width: its largest index may be smaller), or 0. */
    private Dataset read(List<String> classes, List<String> wanted, int features, boolean labelsRequired) {
        if (!Files.isRegularFile(path)) throw new DataException(path + ": file not found");
        if (format == Format.IDX) return readIdx(classes);
        String name = path.getFileName().toString();
        String fingerprint = fingerprint(classes, wanted, features, labelsRequired);
        Path dir = cacheDir != null ? cacheDir : defaultCacheDir(System.getenv());
        Path cache = dir.resolve(name + "." + hash(fingerprint) + ".s4jcache");
        if (Files.exists(cache) && !racy(cache)) {
            try {
                FeatureCache.Contents c = FeatureCache.open(cache, name);
                if (c.fingerprint().equals(fingerprint)) return c.dataset();
            } catch (DataException e) { // a damaged cache is rebuilt; the message says so
                System.getLogger("org.softmax4j")
                        .log(System.Logger.Level.WARNING, e.getMessage() + "; rebuilding it from " + path);
            }
        }
        return build(cache, name, fingerprint, classes, wanted, features, labelsRequired);
    }

    /**
     * How long after a source's modification time its cache must have been written to be
     * trusted: file times tick coarsely (a few milliseconds on Linux, 2 s on FAT), so a source
     * rewritten with its old size within the tick of its last change keeps size and time.
     */
    private static final long RACY_MILLIS = 2000;

    /**
     * Whether the cache was written so soon after a source changed that a later change within
     * the same file-time tick would go unseen (git's "racily clean" entries). Such a cache is
     * rebuilt; one written later than that is trusted.
     */
    private boolean racy(Path cache) {
        try {
            long written = Files.getLastModifiedTime(cache).toMillis();
            long changed = Files.getLastModifiedTime(path).toMillis();
            if (labelsPath != null)
                changed =
                        Math.max(changed, Files.getLastModifiedTime(labelsPath).toMillis());
            return written - changed < RACY_MILLIS;
        } catch (IOException e) {
            return true;
        }
    }

    /** The source (path, file key, size, time) and every option that shapes the parsed result. */
    private String fingerprint(List<String> classes, List<String> wanted, int features, boolean labelsRequired) {
        try {
            return String.join(
                    "\u0000",
                    "v1",
                    format.name(),
                    path.toAbsolutePath().normalize().toString(),
                    Long.toString(Files.size(path)),
                    Files.getLastModifiedTime(path).toString(),
                    fileKey(path),
                    labelsPath == null
                            ? ""
                            : labelsPath.toAbsolutePath().normalize() + "@" + Files.size(labelsPath) + "@"
                                    + Files.getLastModifiedTime(labelsPath) + "@" + fileKey(labelsPath),
                    String.valueOf(label),
                    String.valueOf(delimiter),
                    String.valueOf(header),
                    String.join(",", drop),
                    missing.name(),
                    xArray,
                    yArray,
                    classes == null ? "" : String.join("\u0001", classes),
                    wanted == null ? "" : String.join("\u0001", wanted),
                    Integer.toString(features),
                    Boolean.toString(labelsRequired));
        } catch (IOException e) {
            throw new DataException(path + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The file's identity (the inode on Unix): a file replaced by another (written, then renamed over it) is another. */
    private static String fileKey(Path p) throws IOException {
        return String.valueOf(Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey());
    }

    private static String hash(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Dataset build(
            Path cache,
            String name,
            String fingerprint,
            List<String> classes,
            List<String> wanted,
            int features,
            boolean labelsRequired) {
        LabelCoder coder = new LabelCoder(classes);
        LabelCoder.Ints labels = new LabelCoder.Ints();
        try {
            switch (format) {
                case CSV -> {
                    CsvReader csv =
                            new CsvReader(path, delimiter, header, label, labelsRequired, drop, missing, wanted);
                    try (var out = new FeatureCache.Writer(
                            cache, org.softmax4j.DType.F32, csv.featureNames().size())) {
                        double[][] stats = csv.read(out, coder, labels);
                        float[] fill = null;
                        if (missing == Missing.MEAN) {
                            fill = new float[stats[0].length];
                            for (int j = 0; j < fill.length; j++) {
                                fill[j] = stats[1][j] == 0 ? 0f : (float) (stats[0][j] / stats[1][j]);
                            }
                        }
                        return finish(
                                out,
                                name,
                                fingerprint,
                                coder,
                                labels,
                                csv.header() ? csv.featureNames() : List.of(),
                                fill,
                                csv.labelName() != null);
                    }
                }
                case LIBSVM -> {
                    LibsvmReader svm = new LibsvmReader(path, wanted != null ? wanted.size() : features);
                    try (var out = new FeatureCache.Writer(cache, org.softmax4j.DType.F32, svm.features())) {
                        svm.read(out, coder, labels);
                        return finish(out, name, fingerprint, coder, labels, List.of(), null, true);
                    }
                }
                default -> { // NPY, NPZ
                    Path x = path, y = labelsPath;
                    try {
                        if (format == Format.NPZ) {
                            x = null;
                            y = null;
                            x = NpyReader.extract(path, xArray, cache.getParent());
                            y = NpyReader.extract(path, yArray, cache.getParent());
                        }
                        String xName = format == Format.NPZ ? path + " (" + xArray + ")" : x.toString();
                        String yName = format == Format.NPZ ? path + " (" + yArray + ")" : y.toString();
                        NpyReader.Array xa = NpyReader.open(x, "features", xName),
                                ya = NpyReader.open(y, "labels", yName);
                        int[] ys = NpyReader.readLabels(ya, coder, yName);
                        if (xa.shape().length != 2 || xa.shape()[0] != ys.length) {
                            throw new DataException(xName + ": shape " + java.util.Arrays.toString(xa.shape())
                                    + " does not match the " + ys.length + " labels of " + yName);
                        }
                        if (ys.length == 0)
                            throw new DataException(
                                    xName + ": no rows (shape " + java.util.Arrays.toString(xa.shape()) + ")");
                        for (int v : ys) labels.add(v);
                        if (xa.shape()[1] > Integer.MAX_VALUE)
                            throw new DataException(xName + ": " + xa.shape()[1] + " columns are too many");
                        try (var out = new FeatureCache.Writer(cache, org.softmax4j.DType.F32, (int) xa.shape()[1])) {
                            NpyReader.readFeatures(xa, out, xName);
                            return finish(out, name, fingerprint, coder, labels, List.of(), null, true);
                        }
                    } finally { // the arrays extracted from a .npz, whatever happened
                        if (format == Format.NPZ) {
                            if (x != null) Files.deleteIfExists(x);
                            if (y != null) Files.deleteIfExists(y);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new DataException(
                    path + ": cannot write its cache in " + cache.getParent() + " (" + e.getMessage() + "; set "
                            + CACHE_ENV + " or --cache-dir to a writable folder)",
                    e);
        }
    }

    private Dataset finish(
            FeatureCache.Writer out,
            String name,
            String fingerprint,
            LabelCoder coder,
            LabelCoder.Ints labels,
            List<String> featureNames,
            float[] fill,
            boolean labelled)
            throws IOException {
        int[] y = labels.toArray();
        coder.remap(y);
        List<String> classes = coder.classes();
        if (labelled && classes.size() < 2 && coder.size() < 2) {
            throw new DataException(path + ": a single class ('" + (classes.isEmpty() ? "" : classes.get(0))
                    + "'): a classifier needs at least two");
        }
        // without labels the classes are the model's when known: "?" stands for a class never seen
        List<String> names = labelled || !classes.isEmpty() ? classes : List.of("?");
        return out.finish(name, y, names, featureNames, labelled, fingerprint, fill)
                .dataset();
    }

    private Dataset readIdx(List<String> classes) {
        IdxFile images = IdxReader.read(path, 3), labelFile = IdxReader.read(labelsPath, 1);
        if (images.count() != labelFile.count()) {
            throw new DataException(path + " has " + images.count() + " images but " + labelsPath + " has "
                    + labelFile.count() + " labels");
        }
        int max = 0;
        for (byte b : labelFile.data()) max = Math.max(max, b & 0xff);
        int k = classes != null ? classes.size() : max + 1;
        if (max >= k)
            throw new DataException(labelsPath + ": label " + max + " is beyond the model's " + k + " classes");
        if (classes == null && k < 2)
            throw new DataException(labelsPath + ": a single class: a classifier needs at least two");
        Dataset d = Dataset.of(path.getFileName().toString(), images.data(), labelFile.data(), images.itemSize(), k);
        return classes == null ? d : Dataset.of(d.name(), d.matrix(), labelsOf(d), classes, List.of(), d.scaler());
    }

    private static int[] labelsOf(Dataset d) {
        int[] y = new int[d.size()];
        for (int i = 0; i < y.length; i++) y[i] = d.label(i);
        return y;
    }
}
