package org.example.consumer;

import org.softmax4j.*;

public class Example {
    public static void main(String[] args) {
        Kernels k = Kernels.cpu(); // native, best ISA, all cores
        int n = 4, c = 3;
        float[] logits = {2, 1, 0, 0, 5, 1, 100, 0, 0, -300, -301, -302};
        int[] targets = {0, 1, 2, CrossEntropy.DEFAULT_IGNORE_INDEX};
        float[] dlogits = new float[n * c];
        float loss = k.crossEntropy(
                CrossEntropy.defaults().withLabelSmoothing(0.1f), n, c, logits, targets, CeOutputs.gradient(dlogits));
        System.out.println(loss + " via " + k.name());
    }
}
