package org.softmax4j.cli;

import java.nio.file.Path;
import org.softmax4j.train.Checkpoint;

/** Loading a model file for eval, predict, misclassified and quantize. */
final class ModelLoader {
    private ModelLoader() {}

    /** The model at {@code explicit} (else the newest run's). */
    static Loaded load(Main main, Path explicit) {
        Path path = Outputs.model(main.workDir, explicit);
        return new Loaded(path, Checkpoint.load(path));
    }

    /** A loaded model and where it came from. */
    record Loaded(Path path, Checkpoint checkpoint) {
        /** One line: the file and, when known, how it was trained. */
        String describe(Path workDir) {
            StringBuilder sb = new StringBuilder("model: ").append(Outputs.show(workDir, path));
            if (checkpoint.resumable()) {
                sb.append(" (")
                        .append(checkpoint.state().epochsDone())
                        .append(" epochs; ")
                        .append(Reports.describe(checkpoint.config()))
                        .append(')');
            }
            return sb.toString();
        }
    }
}
