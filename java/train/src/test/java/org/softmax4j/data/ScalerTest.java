package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Scaler}: the command-line names, fitting on a data set's examples, and applying. */
class ScalerTest {
    /** Columns: spread, constant, negative; rows 0..3 (row 3 left out of the subset below). */
    private static final float[] VALUES = {1, 5, -2, 2, 5, -4, 6, 5, -6, 1000, 5, 1000};

    private static Dataset data() {
        Dataset all = Dataset.of(
                "s",
                Features.ofFloats(VALUES.clone(), 3),
                new int[] {0, 1, 0, 1},
                List.of("a", "b"),
                List.of(),
                Scaler.none());
        return all.select("first three", new int[] {0, 1, 2}); // fitting sees the examples, not the matrix
    }

    @Test
    void namesReadAndPrintBack() {
        for (String s : List.of("none", "standard", "minmax", "divide:255", "divide:0.5")) {
            assertEquals(s, Scaler.parse(s).toString());
        }
        assertEquals("standard", Scaler.parse(" Standard ").toString());
        assertTrue(Scaler.parse("standard").needsFit());
        assertFalse(Scaler.parse("divide:255").needsFit());
        assertEquals(1 / 255f, Scaler.parse("divide:255").scale());
        String m = assertThrows(IllegalArgumentException.class, () -> Scaler.parse("zscore"))
                .getMessage();
        assertEquals("'zscore': expected none, standard, minmax or divide:N", m);
        assertThrows(IllegalArgumentException.class, () -> Scaler.parse("divide:0"));
        assertThrows(IllegalArgumentException.class, () -> Scaler.parse("divide:x"));
        assertThrows(IllegalArgumentException.class, () -> Scaler.parse("divide:-3"));
    }

    @Test
    void standardIsTheMeanAndPopulationDeviationOfTheExamples() {
        Scaler s = Scaler.parse("standard").fit(data());
        // column 0: 1, 2, 6 -> mean 3, variance (4 + 1 + 9) / 3
        assertEquals(3f, s.shift()[0], 1e-6f);
        assertEquals((float) (1 / Math.sqrt(14 / 3.0)), s.colScale()[0], 1e-6f);
        assertEquals(5f, s.shift()[1]);
        assertEquals(1f, s.colScale()[1], "a constant column is divided by 1");
        assertEquals(-4f, s.shift()[2], 1e-6f);
        assertEquals((float) (1 / Math.sqrt(8 / 3.0)), s.colScale()[2], 1e-6f);
        assertEquals((6 - 3) / (float) Math.sqrt(14 / 3.0), s.apply(0, 6), 1e-6f);
        assertEquals(0f, s.apply(1, 5));
        assertFalse(s.needsFit());
    }

    @Test
    void minmaxMapsTheExamplesOntoZeroToOne() {
        Scaler s = Scaler.parse("minmax").fit(data());
        Dataset d = data();
        for (int i = 0; i < d.size(); i++) {
            for (int j : new int[] {0, 2}) {
                float v = s.apply(j, d.value(i, j));
                assertTrue(v >= 0 && v <= 1, v + "");
            }
        }
        assertEquals(0f, s.apply(0, 1));
        assertEquals(1f, s.apply(0, 6), 1e-6f);
        assertEquals(0f, s.apply(2, -2) - 1f, 1e-6f); // -2 is column 2's maximum
        assertEquals(0f, s.apply(1, 5), "constant column: shifted, divided by 1");
    }

    @Test
    void noneAndDivideNeedNoFitting() {
        Scaler d = Scaler.divide(255);
        assertSame(d, d.fit(data()));
        assertEquals(2f, d.apply(0, 510), 1e-6f);
        assertEquals(7f, Scaler.none().apply(2, 7f));
        assertEquals(Scaler.divide(4), Scaler.parse("divide:4"));
    }
}
