package org.softmax4j.cli.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

/**
 * PNG from the SVG this package writes, drawn with Java2D: the subset its
 * charts, heatmaps and image grids use (rect, line, polyline, circle, a
 * path of M/l/h/v/z, text with anchor and rotation, image from a data URI,
 * g with translate, and a style sheet of simple {@code tag} and {@code .class}
 * rules). One drawing code, two formats: the SVG stays the source. Needs the
 * JDK's java.desktop module, which a full JDK has (the jlinked runtimes of the
 * benchmarks need not: they draw SVG only).
 */
public final class SvgRaster {
    private static final Pattern RULE = Pattern.compile("([.\\w-]+)\\s*\\{([^}]*)}");
    private static final Pattern NUMBER = Pattern.compile("-?\\d*\\.?\\d+(?:[eE][-+]?\\d+)?");

    private SvgRaster() {}

    /** The PNG file of {@code svg}, drawn at {@code scale} pixels per SVG unit. */
    public static byte[] png(String svg, double scale) {
        Element root;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            root = f.newDocumentBuilder()
                    .parse(new InputSource(new StringReader(svg)))
                    .getDocumentElement();
        } catch (Exception e) {
            throw new IllegalArgumentException("not an SVG document: " + e.getMessage(), e);
        }
        int w = (int) Math.ceil(number(root.getAttribute("width"), 0) * scale);
        int h = (int) Math.ceil(number(root.getAttribute("height"), 0) * scale);
        if (w < 1 || h < 1 || (long) w * h > 100_000_000L) {
            throw new IllegalArgumentException("bad SVG size " + w + "x" + h);
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.scale(scale, scale);
            new Painter(g, styles(root), number(root.getAttribute("width"), 0), number(root.getAttribute("height"), 0))
                    .children(root);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The style sheet's rules: selector to properties. */
    private static Map<String, Map<String, String>> styles(Element root) {
        Map<String, Map<String, String>> rules = new HashMap<>();
        var styles = root.getElementsByTagName("style");
        for (int i = 0; i < styles.getLength(); i++) {
            Matcher m = RULE.matcher(styles.item(i).getTextContent());
            while (m.find())
                rules.computeIfAbsent(m.group(1), k -> new HashMap<>()).putAll(declarations(m.group(2)));
        }
        return rules;
    }

    private static Map<String, String> declarations(String css) {
        Map<String, String> d = new HashMap<>();
        for (String decl : css.split(";")) {
            int colon = decl.indexOf(':');
            if (colon > 0)
                d.put(decl.substring(0, colon).trim(), decl.substring(colon + 1).trim());
        }
        return d;
    }

    private static double number(String s, double otherwise) {
        if (s == null || s.isEmpty()) return otherwise;
        Matcher m = NUMBER.matcher(s);
        return m.find() ? Double.parseDouble(m.group()) : otherwise;
    }

    private static double[] numbers(String s) {
        Matcher m = NUMBER.matcher(s == null ? "" : s);
        java.util.List<Double> v = new java.util.ArrayList<>();
        while (m.find()) v.add(Double.parseDouble(m.group()));
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Draws elements with their styles resolved as a browser would for this subset. */
    private record Painter(Graphics2D g, Map<String, Map<String, String>> rules, double width, double height) {

        void children(Node parent) {
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e) element(e);
            }
        }

        /** The element's properties: tag rule, then class rules, then attributes, then style="". */
        Map<String, String> props(Element e) {
            Map<String, String> p = new HashMap<>();
            if (rules.containsKey(e.getTagName())) p.putAll(rules.get(e.getTagName()));
            for (String c : e.getAttribute("class").split("\\s+")) {
                if (!c.isEmpty() && rules.containsKey("." + c)) p.putAll(rules.get("." + c));
            }
            var attrs = e.getAttributes();
            for (int i = 0; i < attrs.getLength(); i++)
                p.put(attrs.item(i).getNodeName(), attrs.item(i).getNodeValue());
            p.putAll(declarations(e.getAttribute("style")));
            return p;
        }

        void element(Element e) {
            Map<String, String> p = props(e);
            AffineTransform saved = g.getTransform();
            transform(p.get("transform"));
            switch (e.getTagName()) {
                case "g" -> children(e);
                case "rect" -> {
                    double w = length(p.get("width"), width), h = length(p.get("height"), height);
                    shape(new Rectangle2D.Double(number(p.get("x"), 0), number(p.get("y"), 0), w, h), p, "#000");
                }
                case "circle" -> {
                    double r = number(p.get("r"), 0);
                    shape(
                            new Ellipse2D.Double(number(p.get("cx"), 0) - r, number(p.get("cy"), 0) - r, 2 * r, 2 * r),
                            p,
                            "#000");
                }
                case "line" -> {
                    Path2D.Double l = new Path2D.Double();
                    l.moveTo(number(p.get("x1"), 0), number(p.get("y1"), 0));
                    l.lineTo(number(p.get("x2"), 0), number(p.get("y2"), 0));
                    p.putIfAbsent("fill", "none");
                    shape(l, p, "none");
                }
                case "polyline" -> {
                    double[] v = numbers(p.get("points"));
                    Path2D.Double l = new Path2D.Double();
                    for (int i = 0; i + 1 < v.length; i += 2) {
                        if (i == 0) l.moveTo(v[0], v[1]);
                        else l.lineTo(v[i], v[i + 1]);
                    }
                    shape(l, p, "#000");
                }
                case "path" -> shape(path(p.get("d")), p, "#000");
                case "text" -> text(e, p);
                case "image" -> image(p);
                default -> {} // style, title, metadata: nothing to draw
            }
            g.setTransform(saved);
        }

        private static double length(String v, double whole) {
            if (v != null && v.endsWith("%")) return whole * number(v, 100) / 100;
            return number(v, 0);
        }

        private void transform(String t) {
            if (t == null || t.isEmpty()) return;
            double[] v = numbers(t);
            if (t.startsWith("translate") && v.length >= 1) g.translate(v[0], v.length > 1 ? v[1] : 0);
            else if (t.startsWith("rotate") && v.length == 3) g.rotate(Math.toRadians(v[0]), v[1], v[2]);
            else if (t.startsWith("rotate") && v.length == 1) g.rotate(Math.toRadians(v[0]));
        }

        private void shape(java.awt.Shape s, Map<String, String> p, String defaultFill) {
            Color fill = color(p.getOrDefault("fill", defaultFill), number(p.get("fill-opacity"), 1));
            if (fill != null) {
                g.setColor(fill);
                g.fill(s);
            }
            Color stroke = color(p.getOrDefault("stroke", "none"), number(p.get("stroke-opacity"), 1));
            if (stroke != null) {
                float sw = (float) number(p.get("stroke-width"), 1);
                double[] dash = numbers(p.get("stroke-dasharray"));
                float[] d = new float[dash.length];
                for (int i = 0; i < dash.length; i++) d[i] = (float) dash[i];
                g.setStroke(
                        dash.length > 0 && dash[0] > 0
                                ? new BasicStroke(sw, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10, d, 0)
                                : new BasicStroke(sw, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND));
                g.setColor(stroke);
                g.draw(s);
            }
        }

        private static Path2D path(String d) {
            Path2D.Double path = new Path2D.Double();
            Matcher m = Pattern.compile("([MmLlHhVvZz])([^MmLlHhVvZz]*)").matcher(d == null ? "" : d);
            double x = 0, y = 0;
            while (m.find()) {
                double[] v = numbers(m.group(2));
                switch (m.group(1)) {
                    case "M" -> path.moveTo(x = v[0], y = v[1]);
                    case "m" -> path.moveTo(x += v[0], y += v[1]);
                    case "L" -> path.lineTo(x = v[0], y = v[1]);
                    case "l" -> path.lineTo(x += v[0], y += v[1]);
                    case "H" -> path.lineTo(x = v[0], y);
                    case "h" -> path.lineTo(x += v[0], y);
                    case "V" -> path.lineTo(x, y = v[0]);
                    case "v" -> path.lineTo(x, y += v[0]);
                    default -> path.closePath();
                }
            }
            return path;
        }

        private void text(Element e, Map<String, String> p) {
            String s = e.getTextContent();
            if (s == null || s.isEmpty()) return;
            int style = p.getOrDefault("font-weight", "normal").equals("bold") ? Font.BOLD : Font.PLAIN;
            float size = (float) number(p.get("font-size"), 12);
            g.setFont(new Font(Font.SANS_SERIF, style, 1).deriveFont(size));
            double x = number(p.get("x"), 0), y = number(p.get("y"), 0);
            double advance = g.getFontMetrics().getStringBounds(s, g).getWidth();
            switch (p.getOrDefault("text-anchor", "start")) {
                case "middle" -> x -= advance / 2;
                case "end" -> x -= advance;
                default -> {}
            }
            Color c = color(p.getOrDefault("fill", "#000"), 1);
            if (c == null) return;
            g.setColor(c);
            g.drawString(s, (float) x, (float) y);
        }

        private void image(Map<String, String> p) {
            String href = p.getOrDefault("href", p.get("xlink:href"));
            String prefix = "data:image/png;base64,";
            if (href == null || !href.startsWith(prefix)) return;
            try {
                BufferedImage img = ImageIO.read(
                        new ByteArrayInputStream(Base64.getDecoder().decode(href.substring(prefix.length()))));
                if (img == null) return;
                g.setRenderingHint(
                        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
                g.drawImage(
                        img,
                        (int) number(p.get("x"), 0),
                        (int) number(p.get("y"), 0),
                        (int) number(p.get("width"), img.getWidth()),
                        (int) number(p.get("height"), img.getHeight()),
                        null);
            } catch (IOException | IllegalArgumentException ex) {
                // an image that does not decode is left out, as a browser would
            }
        }

        /** #rgb, #rrggbb, white, black, none (null). */
        private static Color color(String v, double opacity) {
            if (v == null || v.equals("none")) return null;
            int rgb;
            if (v.equals("white")) rgb = 0xffffff;
            else if (v.equals("black")) rgb = 0;
            else if (v.startsWith("#") && v.length() == 4) {
                int r = Character.digit(v.charAt(1), 16),
                        gr = Character.digit(v.charAt(2), 16),
                        b = Character.digit(v.charAt(3), 16);
                rgb = (r * 17) << 16 | (gr * 17) << 8 | b * 17;
            } else if (v.startsWith("#") && v.length() == 7) rgb = Integer.parseInt(v.substring(1), 16);
            else return new Color(0x22, 0x22, 0x22);
            int a = (int) Math.round(255 * Math.max(0, Math.min(1, opacity)));
            return new Color(rgb >> 16 & 255, rgb >> 8 & 255, rgb & 255, a);
        }
    }
}
