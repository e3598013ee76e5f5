package org.softmax4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.softmax4j.data.DataException;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.data.TextFeatures;
import picocli.CommandLine.Option;

/** How a text file's documents become features (a picocli mixin of train and predict). */
final class TextOptions {
    @Option(
            names = "--text-column",
            paramLabel = "COLUMN",
            description = "Text: the 0-based column of raw text in a TSV/CSV --data file (the label is --label, "
                    + "a 0-based column, default 0, or 1 when the text is column 0). A file in fastText's "
                    + "format (__label__NAME words...) is recognised without it.")
    Integer textColumn;

    @Option(
            names = "--hash-bits",
            paramLabel = "N",
            defaultValue = "20",
            description = "Text: word n-grams are hashed into 2^N features, N in [10, 26] (default: ${DEFAULT-VALUE}).")
    int hashBits;

    @Option(
            names = "--ngrams",
            paramLabel = "N",
            defaultValue = "2",
            description =
                    "Text: word n-grams up to N: 1 words, 2 and pairs of words, 3 and triples (default: ${DEFAULT-VALUE}).")
    int ngrams;

    @Option(
            names = "--tfidf",
            description = "Text: weight counts by inverse document frequency (fitted on the training set).")
    boolean tfidf;

    @Option(names = "--no-normalize", description = "Text: keep raw (or tf-idf) counts instead of unit-length rows.")
    boolean noNormalize;

    /** Whether {@code file} is read as text: --text-column given, or fastText's format. */
    boolean requested(Path file) {
        if (textColumn != null) return true;
        return file != null
                && Files.isRegularFile(file)
                && TextCorpus.detect(file, null) instanceof TextCorpus.Layout.FastText;
    }

    /** The featurizer these options describe (idf not yet fitted). */
    TextFeatures features() {
        try {
            return new TextFeatures(hashBits, ngrams, null, !noNormalize);
        } catch (IllegalArgumentException e) {
            throw new CliException("--hash-bits / --ngrams: " + e.getMessage(), e);
        }
    }

    /** Where label and text are in {@code file}'s lines. */
    TextCorpus.Layout layout(Path file, DataOptions data) {
        if (textColumn != null) return layout(file, data, textColumn);
        TextCorpus.Layout detected;
        try {
            detected = TextCorpus.detect(file, null);
        } catch (DataException e) {
            throw new CliException(e.getMessage(), e);
        }
        if (detected != null) return detected;
        throw new CliException(
                file + ": name the column of raw text with --text-column (or use fastText's __label__ format)");
    }

    /** Text in column {@code textColumn}, the label in --label's (default 0, or 1 when the text is column 0). */
    static TextCorpus.Layout layout(Path file, DataOptions data, int textColumn) {
        int label;
        if (data.label == null) {
            label = textColumn == 0 ? 1 : 0;
        } else {
            try {
                label = Integer.parseInt(data.label);
            } catch (NumberFormatException e) {
                throw new CliException("--label '" + data.label + "': with --text-column, a 0-based column number");
            }
        }
        char delimiter = '\t';
        if (data.delimiter != null) {
            String d = data.delimiter.equals("\\t") || data.delimiter.equalsIgnoreCase("tab") ? "\t" : data.delimiter;
            if (d.length() != 1) throw new CliException("--delimiter '" + data.delimiter + "': one character (or tab)");
            delimiter = d.charAt(0);
        }
        try {
            return new TextCorpus.Layout.Columns(label, textColumn, delimiter, Boolean.TRUE.equals(data.header));
        } catch (IllegalArgumentException e) {
            throw new CliException("--text-column / --label: " + e.getMessage(), e);
        }
    }
}
