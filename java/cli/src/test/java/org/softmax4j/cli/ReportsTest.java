package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The terminal's number formats. */
class ReportsTest {
    @Test
    void compactCounts() {
        assertEquals("999", Reports.compact(999.4));
        assertEquals("1.00k", Reports.compact(999.6));
        assertEquals("12.3k", Reports.compact(12_345));
        assertEquals("845k", Reports.compact(845_123));
        assertEquals("1.23M", Reports.compact(1_234_567));
        assertEquals("0", Reports.compact(0));
    }

    @Test
    void learningRatesHaveOneWidth() {
        assertEquals("1.00e-01", Reports.lr(0.1f));
        assertEquals("7.74e-05", Reports.lr(7.74e-5));
        assertEquals("4.99e-02", Reports.lr(0.04992));
    }

    @Test
    void probabilitiesRoundDown() {
        assertEquals("0.999", Reports.probability(0.99996f));
        assertEquals("1.000", Reports.probability(1.0));
        assertEquals("0.500", Reports.probability(0.5));
    }

    @Test
    void clock() {
        assertEquals("0:07", ProgressBar.clock(7.2));
        assertEquals("2:05", ProgressBar.clock(125));
        assertEquals("1:01:01", ProgressBar.clock(3661));
    }
}
