package org.softmax4j;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/** The native CPU kernels, reached through one {@link NativeAbi} binding. */
final class CpuKernels extends AbstractKernels {
    private static final Map<Binding, CpuKernels> INSTANCES = new EnumMap<>(Binding.class);

    private final NativeAbi abi;

    private CpuKernels(NativeAbi abi) {
        this.abi = abi;
    }

    static synchronized CpuKernels of(Binding binding) {
        if (binding == null) throw new IllegalArgumentException("binding is null");
        return INSTANCES.computeIfAbsent(binding, b -> new CpuKernels(Softmax4j.abi(b)));
    }

    @Override
    public String name() {
        return "cpu/" + abi.binding().name().toLowerCase(java.util.Locale.ROOT) + " "
                + Isa.of(abi.isa()).name().toLowerCase(java.util.Locale.ROOT) + " x"
                + abi.numThreads() + " threads";
    }

    @Override
    protected void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y, boolean log) {
        check(abi.softmax(n, c, x, y, log ? 1 : 0), null, null);
    }

    @Override
    protected float crossEntropyImpl(CrossEntropy ce, int n, int c, DType dtype,
                                     MemorySegment logits, MemorySegment targets, CeOutputs out) {
        float[] loss = new float[1];
        long[] errRow = {-1};
        int status = abi.softmaxCe(n, c, dtype.code, logits, targets,
                Segments.of(ce.classWeight()), ce.ignoreIndex(), ce.reduction().code,
                ce.labelSmoothing(), ce.zLoss(), ce.gradScale(), MemorySegment.ofArray(loss),
                out.rowLoss(), out.rowLse(), out.rowArgmax(), out.dlogits(),
                MemorySegment.ofArray(errRow));
        check(status, targets, errRow);
        return loss[0];
    }

    /** Native status to exception; arguments were validated, so errors here are bugs or races. */
    private static void check(int status, MemorySegment targets, long[] errRow) {
        switch (status) {
            case NativeAbi.OK -> {}
            case NativeAbi.ERR_TARGET -> throw new IllegalArgumentException("targets[" + errRow[0]
                    + "] = " + targets.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED,
                    errRow[0]) + " is out of range (it changed during the call?)");
            default -> throw new IllegalArgumentException("native kernel rejected its arguments "
                    + "(status " + status + ")");
        }
    }
}
