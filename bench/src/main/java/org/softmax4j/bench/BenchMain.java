package org.softmax4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;
import org.softmax4j.Isa;
import org.softmax4j.Softmax4j;
import org.softmax4j.cli.plot.SvgPlot;

/**
 * Runs the benchmarks (JMH), the PyTorch peer where it is installed, and
 * writes a dated report: Markdown with a summary table at the top, every
 * figure beside its ceiling or peer from the same run, medians with the
 * spread (min-max over all measured iterations of all forks), and SVG plots.
 *
 * <pre>
 * bench/run.sh [--quick] [--only REGEX] [--out DIR]
 * </pre>
 */
public final class BenchMain {
    /**
     * One epoch of the book's model: the 47 MB of uint8 training pixels read
     * once, and two GEMMs of 60000 x 784 x 10 at 2 m n k FLOPs each (forward
     * and dW; the pixels need no gradient), plus the test set's forward.
     */
    private static final double EPOCH_BYTES = 60000.0 * 784,
            EPOCH_FLOPS = 2 * 2.0 * 60000 * 784 * 10 + 2.0 * 10000 * 784 * 10;

    private static final String LCE_SHAPE = "2048x1024x32768";
    private static final String[] CE_SHAPES = {
        "8192x10", "8192x1000", "4096x8192", "4096x32768", "256x131072", "1x131072"
    };

    private final boolean quick;
    private final Path out;
    private final String command;
    private final List<String> log = new ArrayList<>();

    private BenchMain(boolean quick, Path out, String command) {
        this.quick = quick;
        this.out = out;
        this.command = command;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        String only = ".*";
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: bench/run.sh [--quick] [--only REGEX] [--out DIR]\n"
                            + "  --quick   1 fork, short iterations (a smoke run, not for quoting)\n"
                            + "  --only    run only benchmark classes matching REGEX, e.g. Gemm\n"
                            + "  --out     report folder (default bench/results/<date>, or\n"
                            + "            bench/results/raw/<date>-partial for --quick/--only runs)");
                    return;
                }
                default -> {
                    System.err.println("unknown argument " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        if (out == null) { // partial or quick runs never replace the dated full report
            boolean full = !quick && only.equals(".*");
            out = Path.of(
                    full ? "bench/results/" + LocalDate.now() : "bench/results/raw/" + LocalDate.now() + "-partial");
        }
        Files.createDirectories(out);
        new BenchMain(quick, out, "bench/run.sh " + String.join(" ", args)).run(Pattern.compile(only));
    }

    // ---- running ------------------------------------------------------------

    /** Median and spread of one benchmark's measured iterations, in its unit. */
    record Figure(double median, double min, double max, String unit) {
        static Figure of(RunResult r) {
            Statistics s = r.getPrimaryResult().getStatistics();
            return new Figure(
                    s.getPercentile(50),
                    s.getMin(),
                    s.getMax(),
                    r.getPrimaryResult().getScoreUnit());
        }
    }

    /** Runs one benchmark class; figures keyed by its parameters in {@code keys} order, joined by '/'. */
    private Map<String, Figure> jmh(Class<?> bench, Pattern only, String... keys) throws Exception {
        Map<String, Figure> figures = new LinkedHashMap<>();
        if (!only.matcher(bench.getSimpleName()).find()) return figures;
        ChainedOptionsBuilder opt = new OptionsBuilder().include(bench.getName() + "\\.");
        if (quick) {
            opt.forks(1)
                    .warmupIterations(1)
                    .measurementIterations(2)
                    .warmupTime(TimeValue.milliseconds(200))
                    .measurementTime(TimeValue.milliseconds(200));
        }
        String lib = System.getProperty("softmax4j.bench.lib");
        if (lib != null) opt.jvmArgsAppend("-Dsoftmax4j.bench.lib=" + lib);
        try {
            Collection<RunResult> results = new Runner(opt.build()).run();
            for (RunResult r : results) {
                List<String> values = new ArrayList<>();
                for (String key : keys) values.add(r.getParams().getParam(key));
                figures.put(String.join("/", values), Figure.of(r));
            }
        } catch (Exception e) {
            note(bench.getSimpleName() + " failed: " + e.getMessage());
        }
        return figures;
    }

    private void note(String line) {
        System.err.println(line);
        log.add(line);
    }

    /** PyTorch on the CPU (Debian's python3-torch), if /usr/bin/python3 can import it. */
    private List<Map<String, String>> torch() {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) python = Path.of("python3");
        List<Map<String, String>> lines = new ArrayList<>();
        try {
            Process check = new ProcessBuilder(python.toString(), "-c", "import torch")
                    .redirectErrorStream(true)
                    .start();
            if (check.waitFor() != 0) {
                note("PyTorch peer skipped: `" + python + " -c 'import torch'` failed "
                        + "(install it with: apt-get install python3-torch)");
                return lines;
            }
            List<String> cmd = new ArrayList<>(List.of(
                    python.toString(),
                    "bench/peers/torch_peer.py",
                    String.valueOf(Softmax4j.threads()),
                    Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist"))
                            ? "/usr/share/datasets/fashion-mnist"
                            : "-"));
            cmd.addAll(Arrays.asList(CE_SHAPES));
            cmd.add(LCE_SHAPE);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("{")) lines.add(parseFlat(line));
                    else System.err.println("torch: " + line);
                }
            }
            if (!p.waitFor(40, TimeUnit.MINUTES) || p.exitValue() != 0)
                note("PyTorch peer failed (exit " + p.exitValue() + ")");
        } catch (IOException | InterruptedException e) {
            note("PyTorch peer skipped: " + e.getMessage());
        }
        return lines;
    }

    /**
     * bench/text/peers.sh on the Debian package index (softmax4j's whole `train` beside
     * fastText, liblinear and scikit-learn, each in every configuration): its lines, or
     * none (with a note) when a peer is not installed.
     */
    private List<String> textPeers() {
        List<String> lines = new ArrayList<>();
        for (String tool : List.of("fasttext", "liblinear-train")) {
            if (Stream.of(System.getenv("PATH").split(":")).noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                note("text peers skipped: " + tool
                        + " missing (apt-get install fasttext liblinear-tools python3-sklearn)");
                return lines;
            }
        }
        try {
            Process p = new ProcessBuilder("bash", "bench/text/peers.sh", "section").start();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.err.println("text: " + line);
                    lines.add(line);
                }
            }
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                note("text peers failed (exit " + p.exitValue() + ")");
            }
        } catch (IOException | InterruptedException e) {
            note("text peers skipped: " + e.getMessage());
        }
        return lines;
    }

    /** peers.sh's lines as a table: each configuration, the fastest of each peer in bold. */
    private static void textSection(StringBuilder md, List<String> lines) {
        md.append("\n## Text classification (Debian package index, task section)\n\n")
                .append("`bench/text/peers.sh section`, same data and split for all; whole commands (softmax4j: ")
                .append("JVM start, reading, featurizing, training, evaluating and saving the model). ")
                .append(lines.isEmpty() ? "" : lines.get(0))
                .append(
                        ".\n\n| peer and configuration | whole command, peak RSS | test accuracy, model |\n|---|---|---|\n");
        java.util.Set<String> best = new java.util.HashSet<>();
        for (String l : lines) if (l.startsWith("  best: ")) best.add(l.substring(8));
        for (String l : lines) {
            String[] f = l.split("; ");
            if (l.startsWith("  best: ") || f.length < 3) continue;
            boolean b = best.contains(l);
            md.append("| ")
                    .append(b ? "**" + f[0] + "**" : f[0])
                    .append(" | ")
                    .append(f[1])
                    .append(" | ")
                    .append(String.join("; ", Arrays.copyOfRange(f, 2, f.length)))
                    .append(" |\n");
        }
    }

    /** The flat JSON objects torch_peer.py prints: numbers, strings and one list of numbers. */
    static Map<String, String> parseFlat(String json) {
        Map<String, String> m = new LinkedHashMap<>();
        Matcher kv = Pattern.compile("\"(\\w+)\":\\s*(\\[[^]]*]|\"[^\"]*\"|true|false|[-0-9.eE+]+)")
                .matcher(json);
        while (kv.find()) m.put(kv.group(1), kv.group(2).replace("\"", ""));
        return m;
    }

    static double[] numbers(String list) {
        return Arrays.stream(list.replaceAll("[\\[\\]]", "").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .mapToDouble(Double::parseDouble)
                .toArray();
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    // ---- the report ---------------------------------------------------------

    private void run(Pattern only) throws Exception {
        String started = LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME);
        long t0 = System.nanoTime();
        Ceilings ceil = Ceilings.measure(quick);
        Map<String, Figure> ce = jmh(SoftmaxCeBench.class, only, "shape", "impl");
        Map<String, Figure> ref = jmh(ReferenceCeBench.class, only, "shape");
        Map<String, Figure> gemm = jmh(GemmBench.class, only, "shape", "impl");
        Map<String, Figure> jgemm = jmh(JavaGemmBench.class, only, "shape");
        Map<String, Figure> overhead = jmh(BindingOverheadBench.class, only, "binding", "memory", "length");
        Map<String, Figure> epoch = jmh(TrainEpochBench.class, only);
        Map<String, Figure> steps = jmh(TrainStepBench.class, only, "step");
        Map<String, Figure> lce = jmh(LinearCeBench.class, only, "shape", "impl");
        List<Map<String, String>> torch =
                only.matcher("Torch").find() || only.pattern().equals(".*") ? torch() : List.of();
        List<String> text = only.matcher("Text").find() || only.pattern().equals(".*") ? textPeers() : List.of();
        double minutes = (System.nanoTime() - t0) / 60e9;

        StringBuilder md = new StringBuilder();
        md.append("# softmax4j benchmark report\n\n");
        md.append(String.format(
                Locale.ROOT,
                "%s, %.1f minutes. Command: `%s`%s.%n%n",
                started,
                minutes,
                command,
                quick ? " (quick mode: one fork, short iterations; indicative only)" : ""));
        md.append(machine()).append("\n");
        md.append(ceil.describe()).append("\n");
        Summary summary = new Summary(md);
        summary.header();

        // softmax cross-entropy: GB/s counting 8 N C bytes
        Map<String, Double> ceGbs = new LinkedHashMap<>();
        for (var e : ce.entrySet()) {
            String[] k = e.getKey().split("/"); // shape/impl
            ceGbs.put(e.getKey(), bytes(k[0]) / (e.getValue().median() * 1e-3) / 1e9);
        }
        String head = "4096x32768";
        if (ce.containsKey(head + "/fused_ffm")) {
            double ours = ce.get(head + "/fused_ffm").median(),
                    copy = ce.get(head + "/copy").median();
            summary.row(
                    "softmax-CE fwd+bwd f32, N=4096 C=32768",
                    fmt(ceGbs.get(head + "/fused_ffm")) + " GB/s",
                    "copy " + fmt(ceGbs.get(head + "/copy")) + " GB/s",
                    copy / ours);
            if (ce.containsKey(head + "/naive")) {
                summary.row(
                        "  same, vs naive three-pass C",
                        fmt(ours) + " ms",
                        "naive " + fmt(ce.get(head + "/naive").median()) + " ms",
                        ce.get(head + "/naive").median() / ours);
            }
            if (ref.containsKey(head)) {
                summary.row(
                        "  same, vs Java reference",
                        fmt(ours) + " ms",
                        "reference " + fmt(ref.get(head).median()) + " ms",
                        ref.get(head).median() / ours);
            }
            summary.vsTorch("  same, vs PyTorch F.cross_entropy", fmt(ours) + " ms", ours, best(torch, "ce", head), "");
        }
        for (String shape : new String[] {"2048x2048x2048", "256x10x784", "784x10x256t"}) {
            if (gemm.containsKey(shape + "/ours_ffm") && gemm.containsKey(shape + "/openblas")) {
                double g1 = gflops(shape, gemm.get(shape + "/ours_ffm").median());
                double g2 = gflops(shape, gemm.get(shape + "/openblas").median());
                summary.row(
                        "SGEMM " + shape,
                        fmt(g1) + " GFLOP/s = " + ceil.ofPeak(g1, Softmax4j.isa()),
                        "OpenBLAS " + fmt(g2) + " GFLOP/s = " + ceil.ofPeak(g2, Isa.best()),
                        g1 / g2);
                if (gemm.containsKey(shape + "/ours_avx2")) {
                    double g3 = gflops(shape, gemm.get(shape + "/ours_avx2").median());
                    summary.row(
                            "  same, softmax4j forced to AVX2",
                            fmt(g3) + " GFLOP/s = " + ceil.ofPeak(g3, Isa.AVX2),
                            "OpenBLAS " + fmt(g2) + " GFLOP/s",
                            g3 / g2);
                }
            }
        }
        if (!epoch.isEmpty()) {
            double ms = epoch.values().iterator().next().median();
            Map<String, String> t = best(torch, "epoch", null);
            if (t == null) summary.row("training epoch (Fashion-MNIST, batch 256)", fmt(ms) + " ms", "", Double.NaN);
            summary.vsTorch("training epoch (Fashion-MNIST, batch 256)", fmt(ms) + " ms", ms, t, "");
            summary.vsTorch(
                    "  same, vs the book's DataLoader loop (not the headline)",
                    fmt(ms) + " ms",
                    ms,
                    best(torch, "epoch_dataloader", null),
                    "");
            double roof = ceil.rooflineMs(EPOCH_BYTES, EPOCH_FLOPS, Softmax4j.isa());
            summary.row(
                    "  same, vs its roofline",
                    fmt(ms) + " ms",
                    String.format(
                            Locale.ROOT,
                            "roofline %s ms (%.0f MB of pixels at copy, %.2f GFLOP at peak)",
                            fmt(roof),
                            EPOCH_BYTES / 1e6,
                            EPOCH_FLOPS / 1e9),
                    roof / ms);
        }
        if (lce.containsKey(LCE_SHAPE + "/fused")) {
            double fused = lce.get(LCE_SHAPE + "/fused").median(),
                    mat = lce.get(LCE_SHAPE + "/materialised").median();
            String[] nd = LCE_SHAPE.split("x");
            int n = Integer.parseInt(nd[0]), d = Integer.parseInt(nd[1]), v = Integer.parseInt(nd[2]);
            double wsMiB = org.softmax4j.Kernels.cpu()
                            .linearCrossEntropyWorkspaceBytes(n, d, v, org.softmax4j.LinearCe.defaults())
                    / 1048576.0;
            double logitsMiB = 4.0 * n * v / 1048576.0;
            summary.row(
                    "linear+CE fwd+bwd N=2048 D=1024 V=32768 (automatic plan: row chunks)",
                    fmt(fused) + " ms",
                    "materialised " + fmt(mat) + " ms",
                    mat / fused);
            summary.row(
                    "  extra memory",
                    fmt(wsMiB) + " MiB",
                    "logits alone " + fmt(logitsMiB) + " MiB",
                    logitsMiB / wsMiB);
            if (lce.containsKey(LCE_SHAPE + "/fused_tiled")) {
                double tiled = lce.get(LCE_SHAPE + "/fused_tiled").median();
                double tiledMiB = org.softmax4j.Kernels.cpu()
                                .linearCrossEntropyWorkspaceBytes(
                                        n,
                                        d,
                                        v,
                                        org.softmax4j.LinearCe.defaults().withBlockClasses(1024))
                        / 1048576.0;
                summary.row(
                        "  same, tiled plan (time; extra memory)",
                        fmt(tiled) + " ms; " + fmt(tiledMiB) + " MiB",
                        "materialised " + fmt(mat) + " ms; " + fmt(logitsMiB) + " MiB",
                        mat / tiled);
            }
            Map<String, String> t = best(torch, "linear_ce", LCE_SHAPE);
            if (t != null) {
                summary.vsTorch(
                        "  same, vs PyTorch (time; extra memory)",
                        fmt(fused) + " ms; " + fmt(wsMiB) + " MiB",
                        fused,
                        t,
                        "; " + fmt(Double.parseDouble(t.get("extra_mib"))) + " MiB");
            }
        }
        if (overhead.containsKey("ffm/heap/16")) {
            summary.row(
                    "call overhead, softmax of 16 floats",
                    "FFM " + fmt(overhead.get("ffm/heap/16").median()) + " ns",
                    "JNI " + fmt(overhead.get("jni/heap/16").median()) + " ns",
                    overhead.get("jni/heap/16").median()
                            / overhead.get("ffm/heap/16").median());
        }
        md.append("\nRatios: >1 means softmax4j is faster (or, for the copy row, how close to the ceiling: ")
                .append("ours/ceiling in GB/s). Every figure is the median of all measured iterations of all forks.\n");

        section(
                md,
                "Fused softmax cross-entropy (forward+backward, float32, mean)",
                "GB/s count 8 N C bytes (logits read once, gradient written once) for every variant, "
                        + "so `copy` (a streaming copy on all threads, STREAM-style) is the ceiling and each column reads against it.",
                ce,
                "shape/impl",
                ceGbs);
        copyFractions(md, ceGbs);
        ceFigure(ceGbs);
        section(md, "Java reference (double) on 4096x32768", "", ref, "shape", null);
        Map<String, Double> gf = new LinkedHashMap<>();
        for (var e : gemm.entrySet())
            gf.put(e.getKey(), gflops(e.getKey().split("/")[0], e.getValue().median()));
        for (var e : jgemm.entrySet())
            gf.put(e.getKey() + "/java", gflops(e.getKey(), e.getValue().median()));
        Map<String, Figure> allGemm = new LinkedHashMap<>(gemm);
        for (var e : jgemm.entrySet()) allGemm.put(e.getKey() + "/java", e.getValue());
        section(
                md,
                "SGEMM",
                "GFLOP/s = 2 m n k / time; `t`: A transposed. OpenBLAS is called through FFM without copies ("
                        + openBlasCore() + "); `java` is a plain triple loop on one thread. Measured FMA peak: "
                        + ceil.describePeaks() + ".",
                allGemm,
                "shape/impl",
                gf);
        gemmFigure(gf);
        section(
                md,
                "Binding overhead",
                "Softmax of one row of 16 floats; the buffers hold `length` floats. Equal times at "
                        + "16 and 16M floats show that no binding copies arrays.",
                overhead,
                "binding/memory/length",
                null);
        section(md, "Training epoch", "", epoch, "", null);
        Map<String, Double> perEpoch = new LinkedHashMap<>();
        for (var e : steps.entrySet()) perEpoch.put(e.getKey(), e.getValue().median() * 235 / 1000);
        section(
                md,
                "Training step, kernel by kernel (batch 256, 784 -> 10)",
                "Each kernel of the book's step alone; rate: ms per epoch (x 235 steps).",
                steps,
                "step",
                perEpoch);
        section(
                md,
                "Fused linear + cross-entropy (forward+backward: loss, dX, dW, db)",
                "`materialised`: our SGEMM for the N x V logits, the fused CE in place, SGEMMs for dX and dW.",
                lce,
                "shape/impl",
                null);
        if (!torch.isEmpty()) torchSection(md, torch);
        if (!text.isEmpty()) textSection(md, text);
        if (!log.isEmpty()) {
            md.append("\n## Notes\n\n");
            for (String l : log) md.append("- ").append(l).append("\n");
        }
        Files.writeString(out.resolve("report.md"), md.toString());
        System.out.println(md);
        System.out.println("report: " + out.resolve("report.md"));
    }

    /** torch_peer.py's line for the configuration to divide by (the fastest of its sweep), or null. */
    static Map<String, String> best(List<Map<String, String>> torch, String bench, String shape) {
        for (Map<String, String> t : torch) {
            if (bench.equals(t.get("bench"))
                    && t.containsKey("best")
                    && (shape == null || shape.equals(t.get("shape")))) return t;
        }
        return null;
    }

    /** Every configuration of the PyTorch sweep, the fastest marked; the 10-epoch loop; versions. */
    private void torchSection(StringBuilder md, List<Map<String, String>> torch) {
        md.append("\n## PyTorch peer (CPU): every configuration of its sweep\n\n")
                .append("Each configuration (torch intra-op threads x OpenBLAS threads x allocator) ran in ")
                .append("a process of its own, in this run; ratios above divide by the fastest (**bold**). ")
                .append("`epoch`: the book's loop over preloaded tensors; `epoch_dataloader`: the book's own ")
                .append("DataLoader loop (per-sample Dataset, DataLoader, nn.Linear), for reference only.\n\n")
                .append("| benchmark | torch threads | OpenBLAS threads | allocator | median | min - max |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Map<String, String> t : torch) {
            if (!t.containsKey("ms") || t.containsKey("best")) continue;
            double[] ms = numbers(t.get("ms"));
            Map<String, String> b = best(torch, t.get("bench"), t.get("shape"));
            boolean fastest = b != null
                    && b.get("threads").equals(t.get("threads"))
                    && b.get("blas_threads").equals(t.get("blas_threads"))
                    && b.get("alloc").equals(t.get("alloc"));
            String med = fmt(median(ms)) + " ms";
            md.append("| ")
                    .append(t.get("bench"))
                    .append(t.containsKey("shape") ? " " + t.get("shape") : "")
                    .append(t.containsKey("workers") ? " (" + t.get("workers") + " workers)" : "")
                    .append(" | ")
                    .append(t.get("threads"))
                    .append(" | ")
                    .append(t.get("blas_threads"))
                    .append(" | ")
                    .append(t.get("alloc"))
                    .append(" | ")
                    .append(fastest ? "**" + med + "**" : med)
                    .append(" | ")
                    .append(fmt(Arrays.stream(ms).min().orElse(Double.NaN)))
                    .append(" - ")
                    .append(fmt(Arrays.stream(ms).max().orElse(Double.NaN)))
                    .append(
                            t.containsKey("extra_mib")
                                    ? "; extra memory " + fmt(Double.parseDouble(t.get("extra_mib"))) + " MiB"
                                    : "")
                    .append(" |\n");
        }
        for (Map<String, String> t : torch) {
            if ("loop10".equals(t.get("bench"))) {
                md.append("\nThe book's loop, 10 epochs at the fastest epoch configuration (")
                        .append(t.get("config"))
                        .append("): ")
                        .append(fmt(Double.parseDouble(t.get("s"))))
                        .append(" s, test accuracy ")
                        .append(t.get("acc"))
                        .append(".\n");
            } else if ("version".equals(t.get("bench"))) {
                String blas = t.getOrDefault("blas", "");
                md.append("\nPyTorch ")
                        .append(t.getOrDefault("torch", ""))
                        .append(", BLAS ")
                        .append(blas)
                        .append(", jemalloc ")
                        .append(t.getOrDefault("jemalloc", "?"))
                        .append(".\n");
                if (blas.contains("/blas/")) {
                    note("PyTorch's matmuls use Debian's reference BLAS here (" + blas + "); "
                            + "apt-get install libopenblas0-pthread makes them use OpenBLAS");
                }
            }
        }
    }

    private static double bytes(String shape) {
        String[] nc = shape.split("x");
        return 8.0 * Long.parseLong(nc[0]) * Long.parseLong(nc[1]);
    }

    private static double gflops(String shape, double micros) {
        String[] d = shape.replace("t", "").split("x");
        return 2.0
                * Double.parseDouble(d[0])
                * Double.parseDouble(d[1])
                * Double.parseDouble(d[2])
                / (micros * 1e-6)
                / 1e9;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "-";
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g", v);
    }

    /** The summary table at the top. */
    private static final class Summary {
        private final StringBuilder md;

        Summary(StringBuilder md) {
            this.md = md;
        }

        void header() {
            md.append("## Summary\n\n| what | softmax4j | ceiling or peer | ratio |\n|---|---|---|---|\n");
        }

        /**
         * A row against PyTorch's fastest configuration {@code t} (torch_peer.py's "best"
         * line; none: no row), its median in ms, {@code extra} after it, and its name.
         */
        void vsTorch(String what, String ours, double oursMs, Map<String, String> t, String extra) {
            if (t == null) return;
            double tm = median(numbers(t.get("ms")));
            row(what, ours, "PyTorch " + fmt(tm) + " ms" + extra + " (" + t.get("config") + ")", tm / oursMs);
        }

        void row(String what, String ours, String other, double ratio) {
            md.append("| ")
                    .append(what)
                    .append(" | ")
                    .append(ours)
                    .append(" | ")
                    .append(other)
                    .append(" | ")
                    .append(Double.isNaN(ratio) ? "-" : fmt(ratio) + "x")
                    .append(" |\n");
        }
    }

    private static void section(
            StringBuilder md,
            String title,
            String text,
            Map<String, Figure> figures,
            String keyName,
            Map<String, Double> rate) {
        if (figures.isEmpty()) return;
        md.append("\n## ").append(title).append("\n\n");
        if (!text.isEmpty()) md.append(text).append("\n\n");
        md.append("| ")
                .append(keyName.isEmpty() ? "benchmark" : keyName)
                .append(" | median | min - max |")
                .append(rate != null ? " rate |" : "")
                .append("\n|---|---|---|")
                .append(rate != null ? "---|" : "")
                .append("\n");
        for (var e : figures.entrySet()) {
            Figure f = e.getValue();
            md.append("| ")
                    .append(e.getKey().isEmpty() ? "-" : e.getKey())
                    .append(" | ")
                    .append(fmt(f.median()))
                    .append(' ')
                    .append(f.unit())
                    .append(" | ")
                    .append(fmt(f.min()))
                    .append(" - ")
                    .append(fmt(f.max()))
                    .append(rate != null ? " | " + fmt(rate.getOrDefault(e.getKey(), Double.NaN)) : "")
                    .append(" |\n");
        }
    }

    /** Each cross-entropy variant as a fraction of the copy measured at the same shape. */
    private static void copyFractions(StringBuilder md, Map<String, Double> gbs) {
        List<String> shapes = Arrays.stream(CE_SHAPES)
                .filter(sh -> gbs.containsKey(sh + "/copy"))
                .toList();
        if (shapes.isEmpty()) return;
        md.append("\nFraction of copy (same shape, same run):\n\n| impl | ")
                .append(String.join(" | ", shapes))
                .append(" |\n|---|")
                .append("---|".repeat(shapes.size()))
                .append("\n");
        for (String impl : new String[] {"fused_ffm", "fused_jni", "naive"}) {
            md.append("| ").append(impl);
            for (String sh : shapes)
                md.append(" | ").append(fmt(gbs.getOrDefault(sh + "/" + impl, Double.NaN) / gbs.get(sh + "/copy")));
            md.append(" |\n");
        }
    }

    private void ceFigure(Map<String, Double> gbs) throws IOException {
        if (gbs.isEmpty()) return;
        List<SvgPlot.Series> series = new ArrayList<>();
        String[] impls = {"fused_ffm", "fused_jni", "naive", "copy"};
        // one point per C: the many-row shapes (N = 1 is a latency figure)
        String[] shapes =
                Arrays.stream(CE_SHAPES).filter(sh -> !sh.startsWith("1x")).toArray(String[]::new);
        for (int i = 0; i < impls.length; i++) {
            double[] x = new double[shapes.length], y = new double[shapes.length];
            for (int s = 0; s < shapes.length; s++) {
                x[s] = Double.parseDouble(shapes[s].split("x")[1]);
                y[s] = gbs.getOrDefault(shapes[s] + "/" + impls[i], Double.NaN);
            }
            series.add(new SvgPlot.Series(impls[i], x, y, SvgPlot.COLORS[i], impls[i].equals("copy")));
        }
        List<SvgPlot.Series> ratio = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            double[] x = series.get(i).x(), y = new double[x.length];
            for (int s = 0; s < x.length; s++)
                y[s] = series.get(i).y()[s] / series.get(3).y()[s];
            ratio.add(new SvgPlot.Series(impls[i], x, y, SvgPlot.COLORS[i], false));
        }
        Files.writeString(
                out.resolve("softmax_ce.svg"),
                SvgPlot.render(List.of(
                        new SvgPlot.Panel("softmax-CE fwd+bwd (GB/s)", "classes C", "GB/s", true, series),
                        new SvgPlot.Panel("ratio to copy bandwidth", "classes C", "fraction of copy", true, ratio))));
        log.add("figure: softmax_ce.svg (GB/s and fraction of copy bandwidth versus C)");
    }

    private void gemmFigure(Map<String, Double> gf) throws IOException {
        String[] squares = {"512x512x512", "1024x1024x1024", "2048x2048x2048"};
        List<SvgPlot.Series> series = new ArrayList<>();
        String[] impls = {"ours_ffm", "ours_jni", "ours_avx2", "openblas"};
        for (int i = 0; i < impls.length; i++) {
            double[] x = new double[squares.length], y = new double[squares.length];
            for (int s = 0; s < squares.length; s++) {
                x[s] = Double.parseDouble(squares[s].split("x")[0]);
                y[s] = gf.getOrDefault(squares[s] + "/" + impls[i], Double.NaN);
            }
            series.add(new SvgPlot.Series(impls[i], x, y, SvgPlot.COLORS[i], impls[i].equals("openblas")));
        }
        if (series.stream().allMatch(s -> Arrays.stream(s.y()).allMatch(Double::isNaN))) return;
        Files.writeString(
                out.resolve("sgemm.svg"),
                SvgPlot.render(List.of(new SvgPlot.Panel(
                        "SGEMM n x n x n (GFLOP/s)", "n", "GFLOP/s", true, series, SvgPlot.Legend.BOTTOM_RIGHT))));
        log.add("figure: sgemm.svg (GFLOP/s versus size)");
    }

    /** The kernel OpenBLAS chose for this CPU at run time (its build may predate the CPU). */
    private static String openBlasCore() {
        try {
            Class<?> full = org.bytedeco.openblas.global.openblas_full.class;
            org.bytedeco.javacpp.Loader.load(full);
            return "its core here: "
                    + org.bytedeco
                            .openblas
                            .global
                            .openblas_full
                            .openblas_get_corename()
                            .getString() + ", "
                    + org.bytedeco
                            .openblas
                            .global
                            .openblas_full
                            .openblas_get_config()
                            .getString();
        } catch (RuntimeException | LinkageError e) {
            return "OpenBLAS not loadable: " + e.getMessage();
        }
    }

    /** CPU, cores, memory, JDK, ISA and threads. */
    private static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException ignored) {
            // not Linux: keep "unknown"
        }
        return String.format(
                Locale.ROOT,
                "Machine: %s, %d CPUs, %d GiB max heap; %s %s; softmax4j %s, ISA %s, %d threads.%n",
                cpu,
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 30,
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Softmax4j.version(),
                Softmax4j.isa(),
                Softmax4j.threads());
    }
}
