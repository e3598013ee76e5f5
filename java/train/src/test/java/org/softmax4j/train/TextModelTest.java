package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.Kernels;
import org.softmax4j.data.SparseDataset;
import org.softmax4j.data.TextCorpus;
import org.softmax4j.data.TextFeatures;

/** A text model end to end: train on a TSV, save, load, predict raw text with the stored features. */
class TextModelTest {
    @TempDir
    Path dir;

    @Test
    void savedTextModelPredictsRawTextAsBeforeAndStoresOnlyUsedRows() throws IOException {
        StringBuilder tsv = new StringBuilder();
        String[][] docs = {
            {"games", "a fast strategy game with tanks"},
            {"games", "puzzle game for children"},
            {"net", "web server and proxy"},
            {"net", "a mail server with spam filter"},
            {"python", "python bindings for the toolkit"},
            {"python", "python library to parse dates"}
        };
        for (int r = 0; r < 20; r++)
            for (String[] d : docs) tsv.append(d[0]).append('\t').append(d[1]).append('\n');
        Path file = dir.resolve("docs.tsv");
        Files.writeString(file, tsv);
        var fitted = TextCorpus.fit(
                file, new TextCorpus.Layout.Columns(0, 1, '\t', false), TextFeatures.hashed(16, 2), true);
        SparseDataset c = fitted.data();
        var result = new SparseTrainer(Kernels.cpu(), TrainConfig.text())
                .fit(new SparseTrainer.Data(c.rows(), c.labels(), null), null, c.classes(), null, null);
        Model model = Model.ofText(result.model(), c.classNames(), fitted.features(), Kernels.cpu());
        List<String> queries = List.of("strategy game", "mail server", "python dates", "", "nothing known here");
        float[][] before = model.predictText(queries);
        assertEquals("games", c.classNames().get(Model.top(before[0], 1)[0]));
        assertEquals("net", c.classNames().get(Model.top(before[1], 1)[0]));
        assertEquals("python", c.classNames().get(Model.top(before[2], 1)[0]));

        Path saved = dir.resolve("m.s4j");
        model.save(saved);
        assertTrue(Files.size(saved) < 4L * (1 << 16) * c.classes(), "non-zero rows only: " + Files.size(saved));
        Model loaded = Model.load(saved);
        assertEquals(fitted.features(), loaded.text());
        float[][] after = loaded.predictText(queries);
        for (int i = 0; i < queries.size(); i++) assertArrayEquals(before[i], after[i], "query " + i);
        Model numeric = Model.of(
                Checkpoint.modelOnly(result.model(), c.classNames(), List.of(), org.softmax4j.data.Scaler.none()),
                Kernels.cpu());
        var e = assertThrows(IllegalArgumentException.class, () -> numeric.predictText("x"));
        assertEquals("this model takes numeric features, not text", e.getMessage());
    }
}
