package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The text reader on any bytes (FUZZING.md): the first byte picks fastText's format or TSV
 * (label 0, text 1) and the featurizer (n-grams, normalisation); the rest is the file. A
 * consistent {@link SparseDataset} or a {@link DataException} naming the file; what it accepts
 * is a plain reading of the format (per non-blank line: label and text), each row the
 * featurizer's on that line's text alone, sorted, distinct and in range.
 */
class TextCorpusFuzzTest {
    private static final Path DIR = FuzzDir.create("s4j-text-fuzz");

    @AfterAll
    static void removeFiles() throws IOException {
        FuzzDir.delete(DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) throws IOException {
        int options = input.length == 0 ? 0 : input[0] & 0xff;
        byte[] body = input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
        boolean fastText = (options & 1) != 0;
        TextFeatures features = new TextFeatures(10, 1 + (options >> 1) % 3, null, (options & 8) != 0);
        Path p = DIR.resolve(fastText ? "input.ft" : "input.tsv");
        FuzzDir.put(p, body);
        TextCorpus.Layout layout =
                fastText ? new TextCorpus.Layout.FastText() : new TextCorpus.Layout.Columns(0, 1, '\t', false);
        SparseDataset d;
        try {
            d = TextCorpus.read(p, layout, features, null, true);
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, p);
            return;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("accepted bytes that are not UTF-8", e);
        }
        List<String> labels = new ArrayList<>(), texts = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) continue;
            if (fastText) {
                String t = line.stripLeading();
                int end = 0;
                while (end < t.length() && !Character.isWhitespace(t.charAt(end))) end++;
                labels.add(t.substring(TextCorpus.FASTTEXT_LABEL.length(), end));
                texts.add(t.substring(end));
            } else {
                int tab = line.indexOf('\t');
                labels.add(line.substring(0, tab).strip());
                texts.add(line.substring(tab + 1));
            }
        }
        assertEquals(texts.size(), d.size(), "documents");
        TextFeatures.Row want = new TextFeatures.Row();
        for (int i = 0; i < d.size(); i++) {
            assertEquals(labels.get(i), d.classNames().get(d.labels()[i]), "label of document " + i);
            features.featurize(texts.get(i), want, false);
            long from = d.rows().start(i);
            assertEquals(want.size(), d.rows().end(i) - from, "features of document " + i);
            for (int q = 0; q < want.size(); q++) {
                assertEquals(want.columns()[q], d.rows().column(from + q), "column " + q + " of document " + i);
                assertEquals(want.values()[q], d.rows().value(from + q), "value " + q + " of document " + i);
                assertTrue(want.columns()[q] >= 0 && want.columns()[q] < features.dimension());
                assertTrue(q == 0 || want.columns()[q] > want.columns()[q - 1], "sorted, distinct");
            }
        }
    }
}
