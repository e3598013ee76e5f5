package org.softmax4j.cli.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Line charts as hand-written SVG (no AWT: the runtime images we target lack
 * java.desktop). A figure is one or more panels side by side, each with
 * axes, "nice" ticks, a legend and any number of series; NaN values leave a
 * gap. A log-scaled x axis suits sweeps over learning rates or batch sizes.
 * Public for the benchmark report (bench/), which draws its figures with it.
 */
public final class SvgPlot {
    private static final int PANEL_W = 460, PANEL_H = 320;
    private static final int LEFT = 62, RIGHT = 16, TOP = 34, BOTTOM = 46, SUBTITLE_H = 20;
    /** A colour-blind-safe palette (Okabe-Ito). */
    public static final String[] COLORS = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};

    private SvgPlot() {}

    /** One line: {@code y[i]} at {@code x[i]}, drawn dashed when {@code dashed}. */
    public record Series(String name, double[] x, double[] y, String color, boolean dashed) {}

    /**
     * One chart. {@code mark}: a vertical line at that x (e.g. the best epoch), or NaN;
     * {@code clipOutliers}: the y axis ends above the bulk of the values and points
     * beyond it are drawn on the top edge with their value written beside them.
     */
    public record Panel(
            String title,
            String xLabel,
            String yLabel,
            boolean logX,
            List<Series> series,
            Legend legend,
            double markX,
            String markLabel,
            boolean clipOutliers) {
        public Panel(String title, String xLabel, String yLabel, boolean logX, List<Series> series, Legend legend) {
            this(title, xLabel, yLabel, logX, series, legend, Double.NaN, null, false);
        }

        public Panel(String title, String xLabel, String yLabel, boolean logX, List<Series> series) {
            this(title, xLabel, yLabel, logX, series, Legend.TOP_RIGHT);
        }

        /** This panel with a labelled vertical line at x. */
        public Panel marked(double x, String label) {
            return new Panel(title, xLabel, yLabel, logX, series, legend, x, label, clipOutliers);
        }

        /** This panel with outliers clipped (see above). */
        public Panel clipped() {
            return new Panel(title, xLabel, yLabel, logX, series, legend, markX, markLabel, true);
        }
    }

    /** Where the legend goes: where the curves are not (falling, rising, U-shaped). */
    public enum Legend {
        TOP_RIGHT,
        BOTTOM_RIGHT,
        TOP_CENTER
    }

    /** The SVG document of the panels side by side. */
    public static String render(List<Panel> panels) {
        return render(null, panels);
    }

    /** The panels side by side under a line of small text (e.g. the run's settings), when not null. */
    public static String render(String subtitle, List<Panel> panels) {
        int band = subtitle == null || subtitle.isEmpty() ? 0 : SUBTITLE_H;
        int width = PANEL_W * panels.size(), height = PANEL_H + band;
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" " + "height=\"%d\" viewBox=\"0 0 %d %d\">%n",
                width,
                height,
                width,
                height));
        sb.append("<style>text{font-family:Helvetica,Arial,sans-serif;font-size:12px;fill:#222}"
                + ".t{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#444}"
                + ".grid{stroke:#e4e4e4;stroke-width:1}.axis{stroke:#444;stroke-width:1}"
                + ".sub{font-size:11px;fill:#555}.mark{stroke:#777;stroke-width:1;stroke-dasharray:3 3}</style>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        if (band > 0) {
            sb.append(String.format(
                    Locale.ROOT,
                    "<text class=\"sub\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    width / 2,
                    band - 6,
                    esc(subtitle)));
            sb.append(String.format(Locale.ROOT, "<g transform=\"translate(0 %d)\">%n", band));
        }
        for (int p = 0; p < panels.size(); p++) panel(sb, panels.get(p), p * PANEL_W);
        if (band > 0) sb.append("</g>\n");
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void panel(StringBuilder sb, Panel panel, int x0) {
        double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
        for (Series s : panel.series()) {
            for (int i = 0; i < s.x().length; i++) {
                double x = s.x()[i], y = s.y()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y) || (panel.logX() && x <= 0)) continue;
                xmin = Math.min(xmin, x);
                xmax = Math.max(xmax, x);
                ymin = Math.min(ymin, y);
                ymax = Math.max(ymax, y);
            }
        }
        double clipAt = panel.clipOutliers() ? clipLevel(panel) : Double.NaN;
        if (!Double.isNaN(clipAt)) ymax = Math.min(ymax, clipAt);
        if (xmin > xmax) { // nothing to draw
            xmin = 0;
            xmax = 1;
            ymin = 0;
            ymax = 1;
        }
        double[] yTicks = niceTicks(ymin, ymax, 6, 0);
        ymin = Math.min(ymin, yTicks[0]);
        ymax = Math.max(ymax, yTicks[yTicks.length - 1]);
        if (ymax == ymin) ymax = ymin + 1;
        double[] xTicks;
        double lxmin, lxmax;
        if (panel.logX()) {
            lxmin = Math.log10(xmin);
            lxmax = Math.log10(xmax);
            xTicks = distinctXs(panel);
        } else {
            boolean integers = panel.series().stream()
                    .flatMapToDouble(s -> java.util.Arrays.stream(s.x()))
                    .allMatch(v -> v == Math.rint(v));
            xTicks = niceTicks(xmin, xmax, 8, integers ? 1 : 0); // epochs: no ticks at 1.5
            lxmin = Math.min(xmin, xTicks[0]);
            lxmax = Math.max(xmax, xTicks[xTicks.length - 1]);
        }
        if (lxmax == lxmin) {
            lxmin -= 0.5;
            lxmax += 0.5;
        }
        int px = x0 + LEFT, py = TOP, pw = PANEL_W - LEFT - RIGHT, ph = PANEL_H - TOP - BOTTOM;
        Mapper m = new Mapper(px, py, pw, ph, lxmin, lxmax, ymin, ymax, panel.logX());

        sb.append(String.format(
                Locale.ROOT,
                "<text class=\"t\" x=\"%d\" y=\"20\" text-anchor=\"middle\">%s</text>%n",
                px + pw / 2,
                esc(panel.title())));
        for (double t : yTicks) {
            double y = m.y(t);
            sb.append(String.format(
                    Locale.ROOT,
                    "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                            + "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    px,
                    px + pw,
                    y,
                    y,
                    px - 6,
                    y + 4,
                    fmt(t)));
        }
        for (double t : xTicks) {
            if (panel.logX() ? t <= 0 : t < lxmin || t > lxmax) continue;
            double x = m.x(t);
            sb.append(String.format(
                    Locale.ROOT,
                    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                            + "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x,
                    x,
                    py,
                    py + ph,
                    x,
                    py + ph + 16,
                    fmt(t)));
        }
        sb.append(String.format(
                Locale.ROOT,
                "<rect class=\"axis\" fill=\"none\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>%n",
                px,
                py,
                pw,
                ph));
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                px + pw / 2,
                PANEL_H - 8,
                esc(panel.xLabel())));
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" " + "transform=\"rotate(-90 %d %d)\">%s</text>%n",
                x0 + 16,
                py + ph / 2,
                x0 + 16,
                py + ph / 2,
                esc(panel.yLabel())));

        for (int si = 0; si < panel.series().size(); si++) {
            Series s = panel.series().get(si);
            List<StringBuilder> runs = new ArrayList<>();
            StringBuilder run = null;
            StringBuilder dots = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                double x = s.x()[i], y = s.y()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y) || (panel.logX() && x <= 0)) {
                    run = null;
                    continue;
                }
                if (run == null) {
                    run = new StringBuilder();
                    runs.add(run);
                }
                boolean over = y > ymax;
                double yy = over ? ymax : y;
                run.append(String.format(Locale.ROOT, "%.1f,%.1f ", m.x(x), m.y(yy)));
                dots.append(String.format(
                        Locale.ROOT,
                        over
                                ? "<path d=\"M%.1f %.1f l-5 8 h10 z\" fill=\"%s\"/>"
                                : "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
                        m.x(x),
                        m.y(yy),
                        s.color()));
                if (over) { // an arrowhead on the top edge, and the value off the scale
                    dots.append(String.format(
                            Locale.ROOT,
                            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>",
                            m.x(x) + 7,
                            m.y(yy) + 10 + 12 * si, // one label under another per series
                            fmt(y)));
                }
            }
            for (StringBuilder r : runs) {
                sb.append(String.format(
                        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>%n",
                        s.color(),
                        s.dashed() ? " stroke-dasharray=\"6 4\"" : "",
                        r.toString().strip()));
            }
            if (s.x().length <= 60 || !Double.isNaN(clipAt)) sb.append(dots).append('\n');
        }
        if (Double.isFinite(panel.markX()) && !(panel.logX() && panel.markX() <= 0)) {
            double mx = m.x(panel.markX());
            sb.append(String.format(
                    Locale.ROOT,
                    "<line class=\"mark\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                            + "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>%n",
                    mx,
                    mx,
                    py,
                    py + ph,
                    mx + (mx > px + pw / 2 ? -4 : 4),
                    panel.legend() == Legend.BOTTOM_RIGHT ? py + 14 : py + ph - 6, // away from the legend
                    mx > px + pw / 2 ? "end" : "start",
                    esc(panel.markLabel() == null ? "" : panel.markLabel())));
        }
        // Legend in the top (or bottom) right corner, on white so that lines do not cross the text.
        int lh = 16 * panel.series().size() + 4;
        int lx = panel.legend() == Legend.TOP_CENTER ? px + pw / 2 - 70 : px + pw - 150;
        int ly = panel.legend() == Legend.BOTTOM_RIGHT ? py + ph - lh + 10 : py + 14;
        sb.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"146\" height=\"%d\" fill=\"white\" "
                        + "fill-opacity=\"0.85\" stroke=\"#ccc\"/>%n",
                lx - 4,
                ly - 14,
                lh));
        for (Series s : panel.series()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                            + "stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    lx,
                    lx + 22,
                    ly - 4,
                    ly - 4,
                    s.color(),
                    s.dashed() ? " stroke-dasharray=\"6 4\"" : "",
                    lx + 28,
                    ly,
                    esc(s.name())));
            ly += 16;
        }
    }

    /**
     * Where to end a clipped y axis: NaN when no value is an outlier, else 1.2x the
     * largest value within 3x the median (so one diverged run does not squash the rest).
     */
    static double clipLevel(Panel panel) {
        double[] ys = panel.series().stream()
                .flatMapToDouble(s -> java.util.Arrays.stream(s.y()))
                .filter(Double::isFinite)
                .sorted()
                .toArray();
        if (ys.length < 3 || ys[0] < 0) return Double.NaN;
        double median = ys[ys.length / 2], limit = 3 * median, keep = Double.NaN;
        for (double y : ys) if (y <= limit) keep = y;
        return ys[ys.length - 1] > limit && keep > 0 ? 1.2 * keep : Double.NaN;
    }

    /** Data to pixels. */
    private record Mapper(
            int px, int py, int pw, int ph, double xmin, double xmax, double ymin, double ymax, boolean logX) {
        double x(double v) {
            double t = logX ? Math.log10(v) : v;
            return px + (t - xmin) / (xmax - xmin) * pw;
        }

        double y(double v) {
            return py + ph - (v - ymin) / (ymax - ymin) * ph;
        }
    }

    private static double[] distinctXs(Panel panel) {
        return panel.series().stream()
                .flatMapToDouble(s -> java.util.Arrays.stream(s.x()))
                .filter(v -> v > 0 && Double.isFinite(v))
                .distinct()
                .sorted()
                .toArray();
    }

    /**
     * About {@code count} ticks at multiples of 1, 2 or 5 times a power of ten
     * covering [lo, hi], at least {@code minStep} apart.
     */
    static double[] niceTicks(double lo, double hi, int count, double minStep) {
        if (hi <= lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double raw = (hi - lo) / Math.max(1, count - 1);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        step = Math.max(step, minStep);
        double start = Math.floor(lo / step) * step, end = Math.ceil(hi / step) * step;
        int n = (int) Math.round((end - start) / step) + 1;
        double[] ticks = new double[n];
        for (int i = 0; i < n; i++) ticks[i] = start + i * step;
        return ticks;
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e")) return s;
        s = s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
        return s;
    }

    /** Escapes text for XML. */
    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
