package org.softmax4j.internal.jni;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.Set;

/**
 * What the JNI binding does so that no Java code can make it touch freed
 * memory, the guarantees FFM gives by holding each segment's arena for the
 * call. JNI cannot hold an arena, so a native segment passes only when its
 * memory cannot be freed during the call by anyone but the calling thread:
 * global and automatic segments (kept reachable until the call returns),
 * and confined segments used from their owner thread. A segment of a shared
 * arena, which another thread may close at any time, is refused; a confined
 * segment of another thread is a {@link WrongThreadException}, as in FFM.
 */
final class JniSegments {
    /**
     * The JDK's session kinds that no other thread can free. By name: the
     * JDK has no public API that tells a shared arena from the others, and
     * an unknown kind (a later JDK) is refused, the safe side.
     */
    private static final Set<String> SAFE_SESSIONS = Set.of(
            "jdk.internal.foreign.GlobalSession",
            "jdk.internal.foreign.ImplicitSession",
            "jdk.internal.foreign.ConfinedSession");

    private JniSegments() {}

    /** Checks a native segment argument before a JNI call; heap segments are pinned by JNI itself. */
    static void guard(MemorySegment s, String what) {
        if (s == null || !s.isNative()) return;
        if (!s.scope().isAlive()) throw new IllegalStateException(what + ": already closed");
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(what + ": a confined segment used outside its owner thread");
        }
        if (!SAFE_SESSIONS.contains(s.scope().getClass().getName())) {
            throw new IllegalArgumentException(what + ": a segment of a shared arena (Arena.ofShared) "
                    + "cannot pass through the JNI binding, which cannot keep another thread from "
                    + "closing it during the call; use the FFM binding (the default), or a confined, "
                    + "automatic or global arena");
        }
    }

    /** Keeps the segments (and their automatic arenas) reachable until here: call after the native call. */
    static void keep(MemorySegment... segments) {
        Reference.reachabilityFence(segments);
    }
}
