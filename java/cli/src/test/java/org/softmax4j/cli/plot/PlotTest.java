package org.softmax4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The confusion heatmap and the line charts' markers, subtitles and clipping. */
class PlotTest {

    @Test
    void heatmapShowsRowSharesAndCounts() {
        long[][] counts = {{9996, 4, 0}, {1, 2, 7}, {0, 0, 0}};
        String svg = Heatmap.confusion("T & title", "settings <x>", List.of("a<b", "b", "c"), counts);
        assertTrue(svg.contains("T &amp; title") && svg.contains("settings &lt;x&gt;") && svg.contains("a&lt;b"), svg);
        assertTrue(svg.contains(">99.96%<"), "a share below 1 is never shown as 100%: " + svg);
        assertTrue(svg.contains(">0.04%<") || svg.contains(">0.1%<"), svg);
        assertTrue(svg.contains(">70%<") && svg.contains(">7<"), svg); // row 1: 7 of 10
        assertTrue(svg.contains("true a&lt;b, predicted b: 4 (0.0%)"), svg);
        // an empty row (no examples of class c) is drawn without shares
        assertTrue(svg.contains("true c, predicted c: 0 (0.0%)"), svg);
        assertEquals(9, count(svg, "<title>"));
    }

    @Test
    void heatmapPercentNeverRoundsUpToCertainty() {
        assertEquals("99.96%", Heatmap.percent(0.99964));
        assertEquals("100%", Heatmap.percent(1.0));
        assertEquals("0.1%", Heatmap.percent(0.0004));
        assertEquals("0%", Heatmap.percent(0));
        assertEquals("87%", Heatmap.percent(0.8734));
    }

    @Test
    void heatmapRefusesWhatItCannotDraw() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Heatmap.confusion("t", "", List.of("a"), new long[][] {{1}, {2}}));
        int c = Heatmap.MAX_CLASSES + 1;
        List<String> names = new ArrayList<>();
        for (int k = 0; k < c; k++) names.add("c" + k);
        assertThrows(IllegalArgumentException.class, () -> Heatmap.confusion("t", "", names, new long[c][c]));
        // many classes: shading only, no per-cell text
        int many = Heatmap.MAX_LABELLED + 5;
        long[][] m = new long[many][many];
        for (int k = 0; k < many; k++) m[k][k] = 3;
        String svg = Heatmap.confusion("t", "", names.subList(0, many), m);
        assertFalse(svg.contains("class=\"v\""), "no cell labels above " + Heatmap.MAX_LABELLED + " classes");
    }

    @Test
    void markerAndSubtitleAreDrawn() {
        SvgPlot.Series s =
                new SvgPlot.Series("loss", new double[] {1, 2, 3}, new double[] {0.9, 0.5, 0.6}, "#000", false);
        String svg = SvgPlot.render(
                "lr 0.1, batch 256",
                List.of(new SvgPlot.Panel("t", "epoch", "loss", false, List.of(s)).marked(2, "best: epoch 2")));
        assertTrue(svg.contains("lr 0.1, batch 256"), svg);
        assertTrue(svg.contains(">best: epoch 2<") && svg.contains("class=\"mark\""), svg);
        assertFalse(SvgPlot.render(List.of(new SvgPlot.Panel("t", "x", "y", false, List.of(s))))
                .contains("class=\"mark\""));
    }

    @Test
    void anOutlierIsClippedAndLabelled() {
        double[] x = {1, 2, 4, 8, 16};
        double[] y = {9.5, 0.52, 0.47, 0.45, 0.46};
        SvgPlot.Panel p = new SvgPlot.Panel(
                        "t", "batch", "loss", true, List.of(new SvgPlot.Series("val", x, y, "#000", false)))
                .clipped();
        double clip = SvgPlot.clipLevel(p);
        assertEquals(1.2 * 0.52, clip, 1e-12);
        String svg = SvgPlot.render(List.of(p));
        assertTrue(svg.contains(">9.5<"), "the clipped value is written beside its marker: " + svg);
        // every point lies inside the plot area
        Matcher pts = Pattern.compile("points=\"([^\"]+)\"").matcher(svg);
        assertTrue(pts.find());
        for (String xy : pts.group(1).split(" ")) assertTrue(Double.parseDouble(xy.split(",")[1]) >= 34, xy);
        // no outlier, nothing clipped
        SvgPlot.Panel calm = new SvgPlot.Panel(
                "t",
                "b",
                "l",
                true,
                List.of(new SvgPlot.Series("v", x, new double[] {1, 0.9, 0.8, 0.85, 0.9}, "#000", false)));
        assertTrue(Double.isNaN(SvgPlot.clipLevel(calm)));
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
