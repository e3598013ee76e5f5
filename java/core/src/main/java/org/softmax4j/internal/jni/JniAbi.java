package org.softmax4j.internal.jni;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;
import org.softmax4j.internal.abi.NativeAbi;

/**
 * The C ABI through JavaCPP's JNI glue. Each segment becomes (array, byte
 * offset) when it is on the heap, or (null, address) when it is native, so
 * neither kind is copied. Heap segments must be backed by the array type
 * the C side reads (float[] for float32 data, short[] for bf16/f16, int[]
 * for labels) and writable: read-only heap segments hide their array.
 * Native segments pass under the rules of {@link JniSegments}, and stay
 * reachable until the call returns.
 */
public final class JniAbi implements NativeAbi {

    private JniAbi() {}

    /** Loads the JNI glue and libsoftmax4j through JavaCPP. */
    public static JniAbi load() {
        if (System.getProperty(LIBRARY_PROPERTY) != null) { // the JNI glue links the jar's
            throw new UnsatisfiedLinkError("softmax4j: -D" + LIBRARY_PROPERTY + " applies to the FFM binding only");
        }
        JniNatives.s4j_isa(); // runs JniNatives' static initialiser: Loader.load()
        return new JniAbi();
    }

    /** The heap array of s, or null for a native segment (checked by {@link JniSegments#guard}). */
    private static <T> T array(MemorySegment s, Class<T> type, String what) {
        JniSegments.guard(s, what);
        if (s == null || s.isNative()) return null;
        Object base = s.heapBase()
                .orElseThrow(() -> new IllegalArgumentException(what
                        + ": a read-only heap segment cannot pass through the JNI binding "
                        + "(use a writable or native segment, or the FFM binding)"));
        if (!type.isInstance(base)) {
            throw new IllegalArgumentException(what + ": the JNI binding needs a "
                    + type.getSimpleName() + "-backed heap segment here, not "
                    + base.getClass().getSimpleName());
        }
        return type.cast(base);
    }

    /** Byte offset into the heap array, or the absolute address of a native segment. */
    private static long offset(MemorySegment s) {
        return s == null ? 0L : s.address();
    }

    @Override
    public Binding binding() {
        return Binding.JNI;
    }

    @Override
    public String version() {
        return JniNatives.s4j_version();
    }

    @Override
    public long softmaxCeWorkspaceSize(long c) {
        return JniNatives.s4j_softmax_ce_workspace_size(c);
    }

    @Override
    public int isa() {
        return JniNatives.s4j_isa();
    }

    @Override
    public int isaSupported(int isa) {
        return JniNatives.s4j_isa_supported(isa);
    }

    @Override
    public int setIsa(int isa) {
        return JniNatives.s4j_set_isa(isa);
    }

    @Override
    public int numThreads() {
        return JniNatives.s4j_num_threads();
    }

    @Override
    public int setNumThreads(int n) {
        return JniNatives.s4j_set_num_threads(n);
    }

    @Override
    public int maxThreads() {
        return JniNatives.s4j_max_threads();
    }

    @Override
    public int isaParse(String name) {
        return JniNatives.s4j_isa_parse(name);
    }

    @Override
    public String settings() {
        return JniNatives.s4j_settings();
    }

    @Override
    public int settingsStatus() {
        return JniNatives.s4j_settings_status();
    }

    @Override
    public int softmax(long n, long c, MemorySegment x, MemorySegment y, int log) {
        try {
            return JniNatives.softmax(
                    n, c, array(x, float[].class, "x"), offset(x), array(y, float[].class, "y"), offset(y), log);
        } finally {
            JniSegments.keep(x, y);
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
            int[] t = array(targets, int[].class, "targets");
            byte[] o = array(options, byte[].class, "options");
            float[] l = array(loss, float[].class, "loss");
            float[] rl = array(rowLoss, float[].class, "row losses");
            float[] lse = array(rowLse, float[].class, "row lse");
            int[] am = array(rowArgmax, int[].class, "row argmax");
            long[] er = array(errRow, long[].class, "error row");
            byte[] wk = array(work, byte[].class, "work");
            if (dtype == 0) {
                return JniNatives.softmaxCe(
                        n,
                        c,
                        dtype,
                        array(logits, float[].class, "logits"),
                        offset(logits),
                        t,
                        offset(targets),
                        o,
                        offset(options),
                        l,
                        offset(loss),
                        rl,
                        offset(rowLoss),
                        lse,
                        offset(rowLse),
                        am,
                        offset(rowArgmax),
                        array(dlogits, float[].class, "dlogits"),
                        offset(dlogits),
                        er,
                        offset(errRow),
                        wk,
                        offset(work),
                        workBytes);
            }
            return JniNatives.softmaxCe(
                    n,
                    c,
                    dtype,
                    array(logits, short[].class, "logits"),
                    offset(logits),
                    t,
                    offset(targets),
                    o,
                    offset(options),
                    l,
                    offset(loss),
                    rl,
                    offset(rowLoss),
                    lse,
                    offset(rowLse),
                    am,
                    offset(rowArgmax),
                    array(dlogits, short[].class, "dlogits"),
                    offset(dlogits),
                    er,
                    offset(errRow),
                    wk,
                    offset(work),
                    workBytes);
        } finally {
            JniSegments.keep(logits, targets, options, loss, rowLoss, rowLse, rowArgmax, dlogits, errRow, work);
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
            return JniNatives.sgemm(
                    transA,
                    transB,
                    m,
                    n,
                    k,
                    alpha,
                    array(a, float[].class, "A"),
                    offset(a),
                    lda,
                    array(b, float[].class, "B"),
                    offset(b),
                    ldb,
                    beta,
                    array(c, float[].class, "C"),
                    offset(c),
                    ldc,
                    array(work, byte[].class, "work"),
                    offset(work),
                    workBytes);
        } finally {
            JniSegments.keep(a, b, c, work);
        }
    }

    @Override
    public long sgemmWorkspaceSize() {
        return JniNatives.s4j_sgemm_workspace_size();
    }

    @Override
    public int addBias(long n, long c, MemorySegment bias, MemorySegment y) {
        try {
            return JniNatives.addBias(
                    n, c, array(bias, float[].class, "bias"), offset(bias), array(y, float[].class, "y"), offset(y));
        } finally {
            JniSegments.keep(bias, y);
        }
    }

    @Override
    public int columnSums(long n, long c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        try {
            return JniNatives.columnSums(
                    n,
                    c,
                    alpha,
                    array(x, float[].class, "x"),
                    offset(x),
                    beta,
                    array(out, float[].class, "out"),
                    offset(out));
        } finally {
            JniSegments.keep(x, out);
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
            int[] i = array(index, int[].class, "index");
            float[] sh = array(shift, float[].class, "shift"), cs = array(colScale, float[].class, "colScale");
            float[] o = array(out, float[].class, "out");
            long[] er = array(errRow, long[].class, "error row");
            if (srcDtype == 3) { // S4J_U8
                return JniNatives.gatherRows(
                        rows,
                        cols,
                        srcDtype,
                        array(src, byte[].class, "src"),
                        offset(src),
                        srcRows,
                        i,
                        offset(index),
                        scale,
                        sh,
                        offset(shift),
                        cs,
                        offset(colScale),
                        o,
                        offset(out),
                        er,
                        offset(errRow));
            }
            return JniNatives.gatherRows(
                    rows,
                    cols,
                    srcDtype,
                    array(src, float[].class, "src"),
                    offset(src),
                    srcRows,
                    i,
                    offset(index),
                    scale,
                    sh,
                    offset(shift),
                    cs,
                    offset(colScale),
                    o,
                    offset(out),
                    er,
                    offset(errRow));
        } finally {
            JniSegments.keep(src, index, shift, colScale, out, errRow);
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
            return JniNatives.csrMatmul(
                    m,
                    n,
                    k,
                    array(rowPtr, long[].class, "rowPtr"),
                    offset(rowPtr),
                    array(colIdx, int[].class, "colIdx"),
                    offset(colIdx),
                    array(values, float[].class, "values"),
                    offset(values),
                    alpha,
                    array(b, float[].class, "b"),
                    offset(b),
                    ldb,
                    array(bias, float[].class, "bias"),
                    offset(bias),
                    beta,
                    array(c, float[].class, "c"),
                    offset(c),
                    ldc,
                    array(cRows, int[].class, "cRows"),
                    offset(cRows),
                    cRowCount,
                    array(errRow, long[].class, "error row"),
                    offset(errRow));
        } finally {
            JniSegments.keep(rowPtr, colIdx, values, b, bias, c, cRows, errRow);
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
            return JniNatives.sgdStep(
                    count,
                    lr,
                    momentum,
                    weightDecay,
                    array(w, float[].class, "w"),
                    offset(w),
                    array(g, float[].class, "g"),
                    offset(g),
                    array(v, float[].class, "v"),
                    offset(v));
        } finally {
            JniSegments.keep(w, g, v);
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
            return JniNatives.csrSgdStep(
                    m,
                    c,
                    k,
                    array(rowPtr, long[].class, "rowPtr"),
                    offset(rowPtr),
                    array(colIdx, int[].class, "colIdx"),
                    offset(colIdx),
                    array(values, float[].class, "values"),
                    offset(values),
                    array(targets, int[].class, "targets"),
                    offset(targets),
                    array(options, byte[].class, "options"),
                    offset(options),
                    scale,
                    alpha,
                    biasLr,
                    array(v, float[].class, "v"),
                    offset(v),
                    ldv,
                    array(bias, float[].class, "bias"),
                    offset(bias),
                    array(logits, float[].class, "logits"),
                    offset(logits),
                    array(loss, float[].class, "loss"),
                    offset(loss),
                    array(rowArgmax, int[].class, "row argmax"),
                    offset(rowArgmax),
                    array(errRow, long[].class, "error row"),
                    offset(errRow));
        } finally {
            JniSegments.keep(rowPtr, colIdx, values, targets, options, v, bias, logits, loss, rowArgmax, errRow);
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
        try {
            JniNatives.cblasSgemm(
                    fn.address(),
                    transA ? 1 : 0,
                    transB ? 1 : 0,
                    m,
                    n,
                    k,
                    alpha,
                    array(a, float[].class, "A"),
                    offset(a),
                    lda,
                    array(b, float[].class, "B"),
                    offset(b),
                    ldb,
                    beta,
                    array(c, float[].class, "C"),
                    offset(c),
                    ldc);
        } finally {
            JniSegments.keep(fn, a, b, c);
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
            return JniNatives.linearCe(
                    n,
                    d,
                    v,
                    array(x, float[].class, "x"),
                    offset(x),
                    array(w, float[].class, "w"),
                    offset(w),
                    array(bias, float[].class, "bias"),
                    offset(bias),
                    array(targets, int[].class, "targets"),
                    offset(targets),
                    array(options, byte[].class, "options"),
                    offset(options),
                    blockV,
                    array(loss, float[].class, "loss"),
                    offset(loss),
                    array(rowLoss, float[].class, "row losses"),
                    offset(rowLoss),
                    array(rowLse, float[].class, "row lse"),
                    offset(rowLse),
                    array(dx, float[].class, "dx"),
                    offset(dx),
                    array(dw, float[].class, "dw"),
                    offset(dw),
                    array(db, float[].class, "db"),
                    offset(db),
                    array(work, byte[].class, "work"),
                    offset(work),
                    workBytes,
                    array(errRow, long[].class, "error row"),
                    offset(errRow));
        } finally {
            JniSegments.keep(x, w, bias, targets, options, loss, rowLoss, rowLse, dx, dw, db, work, errRow);
        }
    }

    @Override
    public long linearCeWorkspaceSize(long n, long d, long v, long blockV, float softcap) {
        return JniNatives.s4j_linear_ce_workspace_size(n, d, v, blockV, softcap);
    }
}
