package org.softmax4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where commands write their outputs and find models. */
final class Outputs {
    /** Default model file name in a run directory. */
    static final String MODEL_FILE = "model.s4j";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private Outputs() {}

    /**
     * The output directory, created: {@code explicit} when given, else
     * {@code runs/COMMAND-yyyyMMdd-HHmmss/} (with a suffix if taken) under workDir.
     */
    static Path runDir(Path workDir, Path explicit, String command) {
        try {
            if (explicit != null) {
                Path dir = workDir.resolve(explicit);
                Files.createDirectories(dir);
                return dir;
            }
            Path runs = workDir.resolve("runs");
            Files.createDirectories(runs);
            String base = command + "-" + LocalDateTime.now().format(STAMP);
            Path dir = runs.resolve(base);
            for (int i = 2; ; i++) {
                try {
                    return Files.createDirectory(dir);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    dir = runs.resolve(base + "-" + i);
                }
            }
        } catch (IOException e) {
            throw new CliException("cannot create the output directory: " + e, e);
        }
    }

    /**
     * Checks, before a run starts, that {@code dir} can take its outputs: it
     * must be writable, and must not hold another run's model unless
     * {@code overwrite} is given or the run continues the one saved there
     * ({@code resumedFrom} inside dir).
     *
     * @throws CliException saying which and what to do
     */
    static void claim(Path workDir, Path dir, boolean overwrite, Path resumedFrom) {
        boolean continuing = resumedFrom != null
                && resumedFrom
                        .toAbsolutePath()
                        .normalize()
                        .getParent()
                        .equals(dir.toAbsolutePath().normalize());
        for (String name : new String[] {MODEL_FILE, "checkpoint.s4j"}) {
            if (Files.exists(dir.resolve(name)) && !overwrite && !continuing) {
                throw new CliException(show(workDir, dir) + " already holds a run (" + name
                        + "); pass --overwrite to replace it, or choose another --out");
            }
        }
        Path probe =
                dir.resolve(".softmax4j-write-test." + ProcessHandle.current().pid());
        try {
            Files.write(probe, new byte[0]);
            Files.delete(probe);
        } catch (IOException e) {
            throw new CliException(
                    "cannot write to the output directory " + show(workDir, dir) + ": "
                            + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.toString()),
                    e);
        }
    }

    /**
     * The model to use: {@code explicit} when given, else the newest
     * {@code runs/train-*\/model.s4j} under workDir.
     */
    static Path model(Path workDir, Path explicit) {
        if (explicit != null) return workDir.resolve(explicit);
        Path runs = workDir.resolve("runs");
        if (Files.isDirectory(runs)) {
            try (Stream<Path> dirs = Files.list(runs)) {
                Path newest = dirs.filter(d -> d.getFileName().toString().startsWith("train-"))
                        .map(d -> d.resolve(MODEL_FILE))
                        .filter(Files::isRegularFile)
                        .max(Comparator.comparing(Outputs::modified))
                        .orElse(null);
                if (newest != null) return newest;
            } catch (IOException e) {
                // fall through to the message below
            }
        }
        throw new CliException("no model given and none found under " + runs
                + "/train-*/; train one first (softmax4j train) or name a model file");
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** p as the user would type it: relative to workDir when inside it. */
    static String show(Path workDir, Path p) {
        Path abs = p.toAbsolutePath().normalize(),
                base = workDir.toAbsolutePath().normalize();
        return abs.startsWith(base) && !abs.equals(base) ? base.relativize(abs).toString() : abs.toString();
    }
}
