package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuantizedModelTest {
    @Test
    void perClassScalesFitEachClass() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(50, 3, 1, 5);
        for (int i = 0; i < 50; i++) m.weights()[i * 3 + 2] *= 100; // one class with huge weights
        QuantizedModel pc = QuantizedModel.quantize(m, true), pt = QuantizedModel.quantize(m, false);
        assertTrue(pc.perClass());
        assertFalse(pt.perClass());
        assertEquals(50 * 3 + 4 * 3 + 4 * 3, pc.bytes());
        SoftmaxRegression a = pc.dequantize(), b = pt.dequantize();
        double errA = 0, errB = 0;
        for (int i = 0; i < 50; i++) {
            for (int j = 0; j < 2; j++) { // the small classes
                float w = m.weights()[i * 3 + j];
                assertTrue(Math.abs(a.weights()[i * 3 + j] - w) <= pc.scales()[j] / 2 + 1e-6);
                errA = Math.max(errA, Math.abs(a.weights()[i * 3 + j] - w));
                errB = Math.max(errB, Math.abs(b.weights()[i * 3 + j] - w));
            }
        }
        assertTrue(errA * 20 < errB, "per-class error " + errA + " vs per-tensor " + errB);
        int maxQ = 0;
        for (byte q : pc.q()) maxQ = Math.max(maxQ, Math.abs(q));
        assertEquals(127, maxQ);
    }
}
