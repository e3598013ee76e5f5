package org.softmax4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

/** One native implementation under test: a binding and an instruction set. */
record Impl(Binding binding, Isa isa) {

    /** Every binding x ISA; unsupported ISAs are skipped (with the reason) by {@link #activate}. */
    static List<Impl> all() {
        List<Impl> list = new ArrayList<>();
        for (Binding b : Binding.values()) for (Isa i : Isa.values()) list.add(new Impl(b, i));
        return list;
    }

    /** Selects this ISA (global in the native library) and returns the kernels. */
    Kernels activate() {
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
        return binding.name().toLowerCase() + "/" + isa.name().toLowerCase();
    }
}
