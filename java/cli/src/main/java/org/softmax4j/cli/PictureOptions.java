package org.softmax4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.softmax4j.cli.plot.SvgRaster;
import picocli.CommandLine.Option;

/** How pictures are written: SVG, or PNG drawn from the same SVG in Java (a picocli mixin). */
final class PictureOptions {
    /** PNG pixels per SVG unit: sharp on slides and high-density screens. */
    private static final double PNG_SCALE = 2;

    @Option(
            names = "--format",
            paramLabel = "svg|png",
            defaultValue = "svg",
            description = "Pictures as SVG (scalable, for the browser) or PNG (for slides and notebooks, drawn in "
                    + "Java at 2x) (default: ${DEFAULT-VALUE}).")
    Choices.PictureFormat format = Choices.PictureFormat.svg;

    /** {@code base} with this format's extension, e.g. curves.png. */
    String file(String base) {
        return base + "." + format;
    }

    /** Writes {@code svg} as dir/base.svg or dir/base.png. */
    void write(Path dir, String base, String svg) throws IOException {
        Path file = dir.resolve(file(base));
        if (format == Choices.PictureFormat.svg) {
            Files.writeString(file, svg, StandardCharsets.UTF_8);
            return;
        }
        byte[] png;
        try {
            png = SvgRaster.png(svg, PNG_SCALE);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) { // a runtime without java.desktop (jlink), or a system without fonts
            throw new CliException(
                    "--format png needs a JDK with the java.desktop module and a font (this Java: " + e
                            + "); use --format svg",
                    e);
        }
        Files.write(file, png);
    }
}
