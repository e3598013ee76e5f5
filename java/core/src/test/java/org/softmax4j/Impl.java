package org.softmax4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

/**
 * One native implementation under test: a binding and an instruction set,
 * or a binding of the CUDA kernels ({@code isa == null}).
 */
record Impl(Binding binding, Isa isa) {

    /**
     * Every binding x ISA, then CUDA through each binding; unsupported ISAs
     * and CUDA without a GPU are skipped (with the reason) by {@link #activate}.
     */
    static List<Impl> all() {
        List<Impl> list = cudaOnly() ? new ArrayList<>() : cpu();
        for (Binding b : Binding.values()) list.add(new Impl(b, null));
        return list;
    }

    /**
     * -Dsoftmax4j.test.cudaOnly=true: the run of the CUDA cases on the CPU
     * emulator's library (java/core/pom.xml), which has no need of the CPU cases again.
     */
    static boolean cudaOnly() {
        return Boolean.getBoolean("softmax4j.test.cudaOnly");
    }

    /** Every binding x ISA of the CPU kernels. */
    static List<Impl> cpu() {
        List<Impl> list = new ArrayList<>();
        for (Binding b : bindings()) for (Isa i : Isa.values()) list.add(new Impl(b, i));
        return list;
    }

    /**
     * The CPU bindings under test: both, or FFM alone when
     * -Dsoftmax4j.library swaps in another build (the AddressSanitizer run
     * of java/core/pom.xml), which only FFM can load.
     */
    static List<Binding> bindings() {
        return System.getProperty("softmax4j.library") != null ? List.of(Binding.FFM) : List.of(Binding.values());
    }

    /** Whether a CUDA device is present, for tests that include the CUDA kernels when it is. */
    static boolean gpuPresent() {
        return org.softmax4j.cuda.CudaKernels.deviceCount() > 0;
    }

    /** Whether CUDA is usable through {@code binding}. */
    static boolean gpuPresent(Binding binding) {
        return org.softmax4j.cuda.CudaKernels.deviceCount(binding) > 0;
    }

    /** Selects this ISA (global in the native library) and returns the kernels. */
    Kernels activate() {
        if (isa == null) {
            assumeTrue(gpuPresent(binding), "no usable CUDA device here through " + binding);
            return Kernels.cuda(binding);
        }
        Kernels k = Kernels.cpu(binding);
        assumeTrue(Softmax4j.isSupported(isa), "this CPU cannot run " + isa);
        Softmax4j.setIsa(isa);
        return k;
    }

    /** The best ISA again, after a test that switched. */
    static void restoreBestIsa() {
        Softmax4j.setIsa(Isa.best());
    }

    @Override
    public String toString() {
        return isa == null
                ? "cuda/" + binding.name().toLowerCase()
                : binding.name().toLowerCase() + "/" + isa.name().toLowerCase();
    }
}
