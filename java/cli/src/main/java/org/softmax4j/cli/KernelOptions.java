package org.softmax4j.cli;

import org.softmax4j.Binding;
import org.softmax4j.Gemm;
import org.softmax4j.Kernels;
import org.softmax4j.Softmax4j;
import picocli.CommandLine.Option;

/** Which kernels run: device, binding, GEMM and threads (a picocli mixin). */
final class KernelOptions {
    @Option(
            names = "--device",
            paramLabel = "cpu|cuda",
            defaultValue = "cpu",
            description = "Where the kernels run: the CPU, or the first NVIDIA GPU with all data "
                    + "resident there (needs only the NVIDIA driver) (default: ${DEFAULT-VALUE}).")
    Choices.DeviceChoice device;

    @Option(
            names = "--binding",
            paramLabel = "ffm|jni",
            defaultValue = "ffm",
            description = "How Java calls the native kernels: FFM downcalls or JNI " + "(default: ${DEFAULT-VALUE}).")
    Choices.BindingChoice binding;

    @Option(
            names = "--gemm",
            paramLabel = "ours|openblas",
            defaultValue = "ours",
            description =
                    "Which SGEMM the CPU kernels use: softmax4j's own or OpenBLAS " + "(default: ${DEFAULT-VALUE}).")
    Choices.GemmChoice gemm;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "Threads of the native CPU kernels (default: $S4J_NUM_THREADS, else " + "one per core).")
    Integer threads;

    /**
     * The chosen kernels, with the thread count applied.
     *
     * @throws CliException when the device or GEMM is not available (the message says why)
     */
    Kernels kernels() {
        try {
            Binding b = binding == Choices.BindingChoice.jni ? Binding.JNI : Binding.FFM;
            if (device == Choices.DeviceChoice.cuda) {
                if (gemm == Choices.GemmChoice.openblas) {
                    throw new CliException("--gemm openblas is a CPU choice; drop it with --device cuda");
                }
                return Kernels.cuda(b);
            }
            Kernels k = Kernels.cpu(b, gemm == Choices.GemmChoice.openblas ? Gemm.OPENBLAS : Gemm.SOFTMAX4J);
            if (threads != null) Softmax4j.setThreads(threads);
            return k;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no such device, or a setting the library refused (S4J_ISA, -Dsoftmax4j.threads,
            // --threads): the message names it
            throw new CliException(
                    (threads != null && e.getMessage().startsWith("threads = ") ? "--threads: " : "") + e.getMessage(),
                    e);
        }
    }
}
