package org.softmax4j.cli;

import java.nio.file.Path;
import java.util.Map;
import org.softmax4j.data.DataException;
import org.softmax4j.data.FashionMnist;
import picocli.CommandLine.Option;

/** Where Fashion-MNIST is (a picocli mixin). */
final class DataOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Fashion-MNIST directory with the four IDX files, gzipped or raw "
                    + "(default: $SOFTMAX4J_DATA, else /usr/share/datasets/fashion-mnist).")
    Path dir;

    /** The resolved directory. */
    Path resolve(Map<String, String> env) {
        return FashionMnist.resolveDir(dir, env);
    }

    /** Loads the data set; a missing or invalid one is a {@link CliException} with the how-to. */
    FashionMnist load(Map<String, String> env) {
        try {
            return FashionMnist.load(resolve(env));
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
