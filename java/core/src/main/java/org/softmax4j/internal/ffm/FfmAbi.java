package org.softmax4j.internal.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.softmax4j.Binding;
import org.softmax4j.internal.abi.NativeAbi;

/**
 * The C ABI through Foreign Function and Memory downcalls. Kernel calls are
 * {@linkplain Linker.Option#critical(boolean) critical} with heap access, so
 * {@code float[]}-backed segments reach C without a copy; they are short
 * and never call back into Java.
 */
public final class FfmAbi implements NativeAbi {
    private final MethodHandle version, isa, isaSupported, setIsa, numThreads, setNumThreads;
    private final MethodHandle maxThreads, isaParse, settings, settingsStatus;
    private final MethodHandle softmax, softmaxCe, softmaxCeWorkspaceSize, sgemm, sgemmWorkspaceSize, addBias;
    private final MethodHandle columnSums, gatherRows, sgdStep, cblasSgemm, linearCe;
    private final MethodHandle linearCeWorkspaceSize, csrMatmul, csrSgdStep;

    private FfmAbi(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        Linker.Option critical = Linker.Option.critical(true);
        var h = new Object() {
            MethodHandle of(String name, FunctionDescriptor fd, Linker.Option... options) {
                return Downcalls.handle(lib, name, fd, options);
            }
        };
        version = h.of("s4j_version", FunctionDescriptor.of(ADDRESS));
        isa = h.of("s4j_isa", FunctionDescriptor.of(JAVA_INT));
        isaSupported = h.of("s4j_isa_supported", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        setIsa = h.of("s4j_set_isa", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        numThreads = h.of("s4j_num_threads", FunctionDescriptor.of(JAVA_INT));
        setNumThreads = h.of("s4j_set_num_threads", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        maxThreads = h.of("s4j_max_threads", FunctionDescriptor.of(JAVA_INT));
        isaParse = h.of("s4j_isa_parse", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        settings = h.of("s4j_settings", FunctionDescriptor.of(ADDRESS));
        settingsStatus = h.of("s4j_settings_status", FunctionDescriptor.of(JAVA_INT));
        softmax = h.of(
                "s4j_softmax",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT),
                critical);
        softmaxCe = h.of(
                "s4j_softmax_ce",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                        ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG),
                critical);
        softmaxCeWorkspaceSize = h.of("s4j_softmax_ce_workspace_size", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
        sgemm = h.of(
                "s4j_sgemm",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        JAVA_LONG),
                critical);
        sgemmWorkspaceSize = h.of("s4j_sgemm_workspace_size", FunctionDescriptor.of(JAVA_LONG));
        addBias =
                h.of("s4j_add_bias", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), critical);
        columnSums = h.of(
                "s4j_column_sums",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, ADDRESS, JAVA_FLOAT, ADDRESS),
                critical);
        gatherRows = h.of(
                "s4j_gather_rows",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_INT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        JAVA_FLOAT,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS),
                critical);
        // cblas_sgemm by address: (fn, order, transA, transB, m, n, k, alpha, a, lda, b, ldb,
        // beta, c, ldc)
        cblasSgemm = linker.downcallHandle(
                FunctionDescriptor.ofVoid(
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_INT,
                        ADDRESS,
                        JAVA_INT,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_INT),
                critical);
        linearCe = h.of(
                "s4j_linear_ce",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
                critical);
        linearCeWorkspaceSize = h.of(
                "s4j_linear_ce_workspace_size",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_FLOAT));
        csrMatmul = h.of(
                "s4j_csr_matmul",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS),
                critical);
        csrSgdStep = h.of(
                "s4j_csr_sgd_step",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        JAVA_FLOAT,
                        JAVA_FLOAT,
                        JAVA_FLOAT,
                        ADDRESS,
                        JAVA_LONG,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS,
                        ADDRESS),
                critical);
        sgdStep = h.of(
                "s4j_sgd_step",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS),
                critical);
    }

    /**
     * Loads libsoftmax4j from the jar through JavaCPP's loader, so that both
     * bindings share one extracted copy (and one set of global state), or
     * the file {@code -Dsoftmax4j.library} names.
     */
    public static FfmAbi load() {
        return new FfmAbi(Downcalls.load("softmax4j", LIBRARY_PROPERTY));
    }

    private static MemorySegment ptr(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    @Override
    public Binding binding() {
        return Binding.FFM;
    }

    @Override
    public String version() {
        try {
            return ((MemorySegment) version.invokeExact()).reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int isa() {
        try {
            return (int) isa.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int isaSupported(int which) {
        try {
            return (int) isaSupported.invokeExact(which);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int setIsa(int which) {
        try {
            return (int) setIsa.invokeExact(which);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int numThreads() {
        try {
            return (int) numThreads.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int setNumThreads(int n) {
        try {
            return (int) setNumThreads.invokeExact(n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int maxThreads() {
        try {
            return (int) maxThreads.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int isaParse(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) isaParse.invokeExact(arena.allocateFrom(name));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public String settings() {
        try {
            return ((MemorySegment) settings.invokeExact()).reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int settingsStatus() {
        try {
            return (int) settingsStatus.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int softmax(long n, long c, MemorySegment x, MemorySegment y, int log) {
        try {
            return (int) softmax.invokeExact(n, c, ptr(x), ptr(y), log);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int softmaxCe(
            long n,
            long c,
            int dtype,
            MemorySegment logits,
            MemorySegment targets,
            MemorySegment options,
            MemorySegment loss,
            MemorySegment rowLoss,
            MemorySegment rowLse,
            MemorySegment rowArgmax,
            MemorySegment dlogits,
            MemorySegment errRow,
            MemorySegment work,
            long workBytes) {
        try {
            return (int) softmaxCe.invokeExact(
                    n,
                    c,
                    dtype,
                    ptr(logits),
                    ptr(targets),
                    ptr(options),
                    ptr(loss),
                    ptr(rowLoss),
                    ptr(rowLse),
                    ptr(rowArgmax),
                    ptr(dlogits),
                    ptr(errRow),
                    ptr(work),
                    workBytes);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long softmaxCeWorkspaceSize(long c) {
        try {
            return (long) softmaxCeWorkspaceSize.invokeExact(c);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            MemorySegment a,
            long lda,
            MemorySegment b,
            long ldb,
            float beta,
            MemorySegment c,
            long ldc,
            MemorySegment work,
            long workBytes) {
        try {
            return (int) sgemm.invokeExact(
                    transA, transB, m, n, k, alpha, ptr(a), lda, ptr(b), ldb, beta, ptr(c), ldc, ptr(work), workBytes);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long sgemmWorkspaceSize() {
        try {
            return (long) sgemmWorkspaceSize.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int addBias(long n, long c, MemorySegment bias, MemorySegment y) {
        try {
            return (int) addBias.invokeExact(n, c, ptr(bias), ptr(y));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int columnSums(long n, long c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        try {
            return (int) columnSums.invokeExact(n, c, alpha, ptr(x), beta, ptr(out));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            MemorySegment src,
            long srcRows,
            MemorySegment index,
            float scale,
            MemorySegment shift,
            MemorySegment colScale,
            MemorySegment out,
            MemorySegment errRow) {
        try {
            return (int) gatherRows.invokeExact(
                    rows,
                    cols,
                    srcDtype,
                    ptr(src),
                    srcRows,
                    ptr(index),
                    scale,
                    ptr(shift),
                    ptr(colScale),
                    ptr(out),
                    ptr(errRow));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int sgdStep(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            MemorySegment w,
            MemorySegment g,
            MemorySegment v) {
        try {
            return (int) sgdStep.invokeExact(count, lr, momentum, weightDecay, ptr(w), ptr(g), ptr(v));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int csrMatmul(
            long m,
            long n,
            long k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            float alpha,
            MemorySegment b,
            long ldb,
            MemorySegment bias,
            float beta,
            MemorySegment c,
            long ldc,
            MemorySegment cRows,
            long cRowCount,
            MemorySegment errRow) {
        try {
            return (int) csrMatmul.invokeExact(
                    m,
                    n,
                    k,
                    ptr(rowPtr),
                    ptr(colIdx),
                    ptr(values),
                    alpha,
                    ptr(b),
                    ldb,
                    ptr(bias),
                    beta,
                    ptr(c),
                    ldc,
                    ptr(cRows),
                    cRowCount,
                    ptr(errRow));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int csrSgdStep(
            long m,
            long c,
            long k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            MemorySegment targets,
            MemorySegment options,
            float scale,
            float alpha,
            float biasLr,
            MemorySegment v,
            long ldv,
            MemorySegment bias,
            MemorySegment logits,
            MemorySegment loss,
            MemorySegment rowArgmax,
            MemorySegment errRow) {
        try {
            return (int) csrSgdStep.invokeExact(
                    m,
                    c,
                    k,
                    ptr(rowPtr),
                    ptr(colIdx),
                    ptr(values),
                    ptr(targets),
                    ptr(options),
                    scale,
                    alpha,
                    biasLr,
                    ptr(v),
                    ldv,
                    ptr(bias),
                    ptr(logits),
                    ptr(loss),
                    ptr(rowArgmax),
                    ptr(errRow));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public void cblasSgemm(
            MemorySegment fn,
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            int lda,
            MemorySegment b,
            int ldb,
            float beta,
            MemorySegment c,
            int ldc) {
        final int rowMajor = 101, noTrans = 111, trans = 112;
        try {
            cblasSgemm.invokeExact(
                    fn,
                    rowMajor,
                    transA ? trans : noTrans,
                    transB ? trans : noTrans,
                    m,
                    n,
                    k,
                    alpha,
                    ptr(a),
                    lda,
                    ptr(b),
                    ldb,
                    beta,
                    ptr(c),
                    ldc);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int linearCe(
            long n,
            long d,
            long v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            MemorySegment options,
            long blockV,
            MemorySegment loss,
            MemorySegment rowLoss,
            MemorySegment rowLse,
            MemorySegment dx,
            MemorySegment dw,
            MemorySegment db,
            MemorySegment work,
            long workBytes,
            MemorySegment errRow) {
        try {
            return (int) linearCe.invokeExact(
                    n,
                    d,
                    v,
                    ptr(x),
                    ptr(w),
                    ptr(bias),
                    ptr(targets),
                    ptr(options),
                    blockV,
                    ptr(loss),
                    ptr(rowLoss),
                    ptr(rowLse),
                    ptr(dx),
                    ptr(dw),
                    ptr(db),
                    ptr(work),
                    workBytes,
                    ptr(errRow));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long linearCeWorkspaceSize(long n, long d, long v, long blockV, float softcap) {
        try {
            return (long) linearCeWorkspaceSize.invokeExact(n, d, v, blockV, softcap);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
