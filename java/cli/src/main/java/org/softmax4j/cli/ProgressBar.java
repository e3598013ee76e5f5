package org.softmax4j.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on a terminal (stderr), redrawn in place with
 * {@code \r} at most ten times a second; the training loop calls
 * {@link #update} every batch, which costs a clock read unless it redraws.
 */
final class ProgressBar {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final int epochs;
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter err, int epochs) {
        this.err = err;
        this.epochs = epochs;
    }

    /** After batch (0-based) of batches in the 0-based epoch. */
    void update(int epoch, int batch, int batches) {
        long now = System.nanoTime();
        if (drawn && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        drawn = true;
        int filled = (int) ((long) WIDTH * (batch + 1) / batches);
        StringBuilder sb = new StringBuilder(80).append("\r[");
        for (int i = 0; i < WIDTH; i++) sb.append(i < filled ? '#' : '.');
        sb.append("] epoch ").append(epoch + 1).append('/').append(epochs).append(", batch ")
                .append(batch + 1).append('/').append(batches).append("  ");
        err.print(sb);
        err.flush();
    }

    /** Erases the bar (before a line of normal output). */
    void clear() {
        if (!drawn) return;
        err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
        err.flush();
        drawn = false;
    }
}
