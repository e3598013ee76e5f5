/**
 * The {@code softmax4j} command line ({@code org.softmax4j.cli.Main}) and its
 * plots ({@code org.softmax4j.cli.plot}: SVG and PNG, also used by the
 * benchmark report).
 */
module org.softmax4j.cli {
    requires org.softmax4j.train;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires java.xml; // --format png reads the SVG back
    requires static java.desktop; // --format png draws with Java2D; a runtime without it writes SVG only
    requires jdk.unsupported; // sun.misc.Signal: Ctrl-C saves a resumable model

    exports org.softmax4j.cli;
    exports org.softmax4j.cli.plot;

    // picocli fills the commands' annotated fields by reflection
    opens org.softmax4j.cli to
            info.picocli;
}
