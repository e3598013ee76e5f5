package org.softmax4j.cli.plot;

import java.util.List;
import java.util.Locale;

/**
 * A confusion matrix as an SVG heatmap: one row per true class, one column
 * per predicted class, each cell shaded by its share of the row (recall on
 * the diagonal) and labelled with that share and its count. Row-normalised so
 * that rare classes are as readable as common ones.
 */
public final class Heatmap {
    /** Above this many classes the cells are too small for text: shading only. */
    static final int MAX_LABELLED = 30;
    /** Above this many classes no picture is drawn (the CSV has the numbers). */
    public static final int MAX_CLASSES = 200;

    private Heatmap() {}

    /**
     * The SVG document.
     *
     * @param counts counts[t][p]: examples of true class t predicted as p
     * @param names the class names, one per row
     */
    public static String confusion(String title, String subtitle, List<String> names, long[][] counts) {
        int c = counts.length;
        if (c < 1 || c > MAX_CLASSES || names.size() != c) {
            throw new IllegalArgumentException("a confusion heatmap needs 1.." + MAX_CLASSES
                    + " classes and one name each, got " + c + " and " + names.size());
        }
        boolean labelled = c <= MAX_LABELLED;
        int cell = labelled ? Math.max(34, Math.min(56, 560 / c)) : Math.max(3, 600 / c);
        int nameChars = 0;
        for (int k = 0; k < c; k++)
            nameChars = Math.max(nameChars, shown(names, k).length());
        int nameW = labelled ? Math.min(200, 12 + 7 * nameChars) : 40;
        int left = nameW + 30, top = 64, grid = cell * c;
        int bottom = labelled ? Math.min(170, 24 + 7 * nameChars) : 40;
        int width = Math.max(left + grid + 90, 520), height = top + grid + bottom;

        StringBuilder sb = new StringBuilder(4096 + c * c * 160);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n",
                width,
                height,
                width,
                height));
        sb.append("<style>text{font-family:Helvetica,Arial,sans-serif;font-size:12px;fill:#222}"
                + ".t{font-size:14px;font-weight:bold}.s{font-size:11px;fill:#555}"
                + ".v{font-size:11px;text-anchor:middle}.n{font-size:9px;text-anchor:middle}</style>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(
                String.format(Locale.ROOT, "<text class=\"t\" x=\"%d\" y=\"20\">%s</text>%n", 10, SvgPlot.esc(title)));
        if (subtitle != null && !subtitle.isEmpty()) {
            sb.append(String.format(
                    Locale.ROOT, "<text class=\"s\" x=\"%d\" y=\"38\">%s</text>%n", 10, SvgPlot.esc(subtitle)));
        }
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">predicted class</text>%n",
                left + grid / 2,
                top - 8));
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">true class</text>%n",
                top + grid / 2,
                top + grid / 2));

        for (int t = 0; t < c; t++) {
            long row = 0;
            for (long v : counts[t]) row += v;
            for (int p = 0; p < c; p++) {
                double share = row == 0 ? 0 : (double) counts[t][p] / row;
                int x = left + p * cell, y = top + t * cell;
                sb.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>true %s, predicted %s: %d (%.1f%%)</title></rect>%n",
                        x,
                        y,
                        cell,
                        cell,
                        shade(share, t == p),
                        SvgPlot.esc(shown(names, t)),
                        SvgPlot.esc(shown(names, p)),
                        counts[t][p],
                        100 * share));
                if (labelled && counts[t][p] > 0) {
                    String ink = share > 0.55 ? "#fff" : "#222";
                    sb.append(String.format(
                            Locale.ROOT,
                            "<text class=\"v\" x=\"%d\" y=\"%d\" style=\"fill:%s\">%s</text>"
                                    + "<text class=\"n\" x=\"%d\" y=\"%d\" style=\"fill:%s\">%d</text>%n",
                            x + cell / 2,
                            y + cell / 2,
                            ink,
                            percent(share),
                            x + cell / 2,
                            y + cell / 2 + 12,
                            ink,
                            counts[t][p]));
                }
            }
            if (labelled) {
                sb.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                        left - 6,
                        top + t * cell + cell / 2 + 4,
                        SvgPlot.esc(shown(names, t))));
            }
        }
        if (labelled) {
            for (int p = 0; p < c; p++) {
                int x = left + p * cell + cell / 2 + 4, y = top + grid + 8;
                sb.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-60 %d %d)\">%s</text>%n",
                        x,
                        y,
                        x,
                        y,
                        SvgPlot.esc(shown(names, p))));
            }
        }
        sb.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
                left,
                top,
                grid,
                grid));
        // colour keys, share of the true class's examples: right (blue) and wrong (orange)
        int kx = left + grid + 16, kh = Math.min(grid, 200);
        for (int i = 0; i < 20; i++) {
            for (int d = 0; d < 2; d++) {
                sb.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"%.1f\" fill=\"%s\"/>%n",
                        kx + 12 * d,
                        top + i * kh / 20,
                        kh / 20.0 + 0.5,
                        shade(1 - i / 19.0, d == 0)));
            }
        }
        sb.append(String.format(
                Locale.ROOT,
                "<text class=\"s\" x=\"%d\" y=\"%d\">100%%</text><text class=\"s\" x=\"%d\" y=\"%d\">0%%</text>%n"
                        + "<text class=\"s\" x=\"%d\" y=\"%d\">of row:</text>"
                        + "<text class=\"s\" x=\"%d\" y=\"%d\">right, wrong</text>%n",
                kx + 26,
                top + 8,
                kx + 26,
                top + kh,
                kx - 2,
                top + kh + 16,
                kx - 2,
                top + kh + 30));
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** White to dark blue on the diagonal, white to dark orange off it (errors stand out). */
    private static String shade(double share, boolean diagonal) {
        double s = Math.sqrt(Math.max(0, Math.min(1, share))); // small error rates stay visible
        int[] to = diagonal ? new int[] {0x08, 0x45, 0x94} : new int[] {0xB3, 0x40, 0x00};
        int r = (int) Math.round(255 + (to[0] - 255) * s),
                g = (int) Math.round(255 + (to[1] - 255) * s),
                b = (int) Math.round(255 + (to[2] - 255) * s);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    /** 0.8734 as "87%", 0.004 as "0.4%", 0.9996 as "99.96%" (never a rounded-up 100%). */
    static String percent(double share) {
        double p = 100 * share;
        if (p >= 99.5 && p < 100) return String.format(Locale.ROOT, "%.4g%%", Math.floor(p * 100) / 100);
        if (p > 0 && p < 1) return String.format(Locale.ROOT, "%.1f%%", Math.max(0.1, p));
        return String.format(Locale.ROOT, "%d%%", Math.round(p));
    }

    private static String shown(List<String> names, int k) {
        String n = names.get(k);
        return n.length() > 24 ? n.substring(0, 23) + "…" : n;
    }
}
