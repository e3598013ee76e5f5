package org.softmax4j.bench;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.softmax4j.Isa;
import org.softmax4j.Softmax4j;

/**
 * This machine's measured limits, taken before the benchmarks while it is
 * quiet: the FMA peak per ISA level (all threads, registers only) and the
 * streaming-copy bandwidth of a buffer far beyond the caches. Every GEMM
 * figure reads as a fraction of the peak of the ISA it ran at, every
 * memory-bound one as a fraction of copy, the training epoch against its
 * roofline.
 */
record Ceilings(Map<Isa, Double> peakGflops, double copyGbs) {
    private static final long COPY_BYTES = 256L << 20;

    static Ceilings measure(boolean quick) throws Exception {
        int threads = Softmax4j.threads(), reps = quick ? 3 : 7;
        Map<Isa, Double> peak = new EnumMap<>(Isa.class);
        peak.put(Isa.AVX2, Baselines.fmaPeakGflops(false, threads, reps));
        if (Softmax4j.isSupported(Isa.AVX512)) peak.put(Isa.AVX512, Baselines.fmaPeakGflops(true, threads, reps));
        return new Ceilings(peak, Baselines.copyGbs(COPY_BYTES, reps));
    }

    /** GFLOP/s of the FMA probe at {@code isa} (the scalar level: none, NaN). */
    double peak(Isa isa) {
        return peakGflops.getOrDefault(isa, Double.NaN);
    }

    /** "0.87 of peak", against the given level's peak. */
    String ofPeak(double gflops, Isa isa) {
        return String.format(Locale.ROOT, "%.2f of %s peak", gflops / peak(isa), isa.name());
    }

    /**
     * The time floor of a job that moves {@code bytes} through memory and
     * does {@code flops} at {@code isa}: the larger of the two at the
     * measured ceilings (a roofline without overlap losses), in ms.
     */
    double rooflineMs(double bytes, double flops, Isa isa) {
        return Math.max(bytes / copyGbs, flops / peak(isa)) * 1e-6;
    }

    String describePeaks() {
        StringBuilder s = new StringBuilder();
        peakGflops.forEach((isa, g) ->
                s.append(s.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.0f GFLOP/s", isa.name(), g)));
        return s.toString();
    }

    String describe() {
        return String.format(
                Locale.ROOT,
                "Measured ceilings (all threads, before the benchmarks): FMA peak %s; streaming copy %.1f GB/s"
                        + " (read + written, %d MiB).%n",
                describePeaks(),
                copyGbs,
                COPY_BYTES >> 20);
    }
}
