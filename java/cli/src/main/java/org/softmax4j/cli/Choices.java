package org.softmax4j.cli;

/**
 * The enumerated option values of the CLI. The constants are spelled exactly
 * as typed on the command line (lower case), so that picocli's help lists
 * them that way.
 */
final class Choices {
    private Choices() {}

    /** --gemm */
    enum GemmChoice {
        ours,
        openblas
    }

    /** --binding */
    enum BindingChoice {
        ffm,
        jni
    }

    /** --device */
    enum DeviceChoice {
        cpu,
        cuda
    }

    /** --preset */
    enum Preset {
        book,
        tuned
    }

    /** --schedule */
    enum ScheduleChoice {
        constant,
        step,
        cosine
    }

    /** --missing */
    enum MissingChoice {
        error,
        zero,
        mean
    }

    /** --format */
    enum PictureFormat {
        svg,
        png
    }
}
