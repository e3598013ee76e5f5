package org.softmax4j.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The training bar on a terminal: one bar per epoch, drawn by
 * me.tongfei:progressbar on its own thread (steps, percent, elapsed and the
 * epoch's ETA), with the epoch's running loss, samples/s and the whole run's
 * ETA beside it. Cleared before each epoch line, so the terminal keeps the
 * lines and one live bar. {@link #update} runs every step inside the timed
 * loop: it stores a counter, and formats text at most ten times a second.
 */
final class ProgressBar implements AutoCloseable {
    private static final long MESSAGE_NANOS = 100_000_000L, SETTLE_NANOS = 500_000_000L;
    private static final int MESSAGE_WIDTH = "loss 0.0000  999k/s  ETA 0:00:00".length();
    private final PrintStream err;
    private final String prefix;
    private final int epochs, batchSize, width;
    private long runStart, stepsDone, stepsAtEpochStart, epochStart, lastMessage;
    private int epoch = -1;
    private me.tongfei.progressbar.ProgressBar bar;
    private String message = "";

    /** @param prefix text before the epoch (e.g. "run 2/7, lr 0.1: "), or "" */
    ProgressBar(PrintStream err, String prefix, int epochs, int batchSize) {
        this.err = err;
        this.prefix = prefix;
        this.epochs = epochs;
        this.batchSize = batchSize;
        this.width = width(); // once: asking the terminal may start a process
    }

    /** After step {@code batch} (0-based) of {@code batches} in the 0-based epoch; loss NaN when not known. */
    void update(int epoch, int batch, int batches, double runningLoss) {
        long now = System.nanoTime();
        if (stepsDone == 0) runStart = now;
        if (bar == null || epoch != this.epoch) {
            clear();
            this.epoch = epoch;
            epochStart = now;
            stepsAtEpochStart = stepsDone;
            bar = new ProgressBarBuilder()
                    .setTaskName(prefix + "epoch " + (epoch + 1) + "/" + epochs)
                    .setInitialMax(batches)
                    .startsFrom(batch, Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(100)
                    .setConsumer(new ConsoleProgressBarConsumer(err, width))
                    .clearDisplayOnFinish()
                    .hideEta() // the epoch's own ETA is short; the run's is in the message
                    .build();
            bar.setExtraMessage(message); // the last one until the next is due
        }
        stepsDone++;
        bar.stepTo(batch + 1);
        if (now - lastMessage >= MESSAGE_NANOS) {
            lastMessage = now;
            double epochSeconds = (now - epochStart) / 1e9;
            long epochSteps = stepsDone - stepsAtEpochStart;
            double perStep = (now - runStart) / 1e9 / stepsDone;
            long stepsLeft = (long) (epochs - 1 - epoch) * batches + batches - 1 - batch;
            StringBuilder m = new StringBuilder(64);
            if (!Double.isNaN(runningLoss)) m.append(String.format(Locale.ROOT, "loss %.4f  ", runningLoss));
            // rates from the first fraction of a second (JIT warm-up, page faults) would mislead
            boolean settled = now - runStart >= SETTLE_NANOS;
            if (settled && epochSeconds > 0)
                m.append(Reports.compact(epochSteps * (double) batchSize / epochSeconds))
                        .append("/s  ");
            m.append("ETA ").append(settled ? clock(perStep * stepsLeft) : "-:--");
            // padded to one width, so that the bar does not change its length
            message = String.format(Locale.ROOT, "%-" + MESSAGE_WIDTH + "s", m);
            bar.setExtraMessage(message);
        }
    }

    /** Erases the bar (before a line of normal output). */
    void clear() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        clear();
    }

    /** Seconds as m:ss or h:mm:ss. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * The bar's width: $COLUMNS where the shell exports it, else what the terminal reports
     * (the library asks it through jline), at most 120 characters.
     */
    private static int width() {
        try {
            String c = System.getenv("COLUMNS");
            if (c != null) return Math.max(40, Math.min(120, Integer.parseInt(c.trim())));
        } catch (NumberFormatException e) {
            // fall through
        }
        int w = new ConsoleProgressBarConsumer(System.err).getMaxRenderedLength();
        return w >= 40 ? Math.min(120, w) : 100;
    }
}
