package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The native settings (binding, ISA, threads) are read once per process, so
 * each case runs in a JVM of its own: a value that cannot be honoured is an
 * error naming it, from the environment (parsed by the C library) and from
 * system properties (parsed by the same C function) alike; good values are
 * applied and reported in one line.
 */
class SettingsTest {

    /** Loads the kernels and prints the settings line, or the exception. */
    public static void main(String[] args) {
        try {
            Kernels k = Kernels.cpu();
            System.out.println("name: " + k.name());
            System.out.println("settings: " + Softmax4j.settings());
        } catch (RuntimeException e) {
            System.out.println("error: " + e);
        }
    }

    private static String probe(Map<String, String> env, String... props) throws Exception {
        Forked.Result r = Forked.run(SettingsTest.class, env, List.of(props));
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void defaultsAreReported() throws Exception {
        String out = probe(Map.of());
        assertTrue(
                out.contains("settings: softmax4j ")
                        && out.contains("the best this CPU has")
                        && out.contains("one per CPU"),
                out);
    }

    @Test
    void goodValuesAreApplied() throws Exception {
        String out = probe(Map.of("S4J_ISA", "scalar", "S4J_NUM_THREADS", "3"));
        assertTrue(out.contains("name: cpu/ffm scalar x3 threads"), out);
        out = probe(Map.of("S4J_ISA", "scalar"), "-Dsoftmax4j.threads=2", "-Dsoftmax4j.binding=jni");
        assertTrue(out.contains("name: cpu/jni scalar x2 threads"), out);
    }

    @Test
    void badEnvironmentIsAnError() throws Exception {
        String out = probe(Map.of("S4J_ISA", "bogus"));
        assertTrue(
                out.contains("error: java.lang.IllegalArgumentException")
                        && out.contains("S4J_ISA=bogus is not scalar, avx2 or avx512"),
                out);
        out = probe(Map.of("S4J_NUM_THREADS", "9999"));
        assertTrue(out.contains("S4J_NUM_THREADS=9999 is not a whole number in [1, 1024]"), out);
        out = probe(Map.of("S4J_NUM_THREADS", "2x"));
        assertTrue(out.contains("S4J_NUM_THREADS=2x is not a whole number"), out);
    }

    @Test
    void badPropertiesAreAnError() throws Exception {
        assertTrue(probe(Map.of(), "-Dsoftmax4j.isa=bogus")
                .contains("-Dsoftmax4j.isa=bogus: expected scalar, avx2 or avx512"));
        assertTrue(probe(Map.of(), "-Dsoftmax4j.threads=0")
                .contains("-Dsoftmax4j.threads=0: expected a whole number in [1, 1024]"));
        assertTrue(probe(Map.of(), "-Dsoftmax4j.binding=cuda?")
                .contains("-Dsoftmax4j.binding=cuda?: expected ffm or jni"));
    }

    @Test
    void anIsaTheCpuLacksIsAnError() throws Exception {
        for (Isa isa : Isa.values()) {
            if (Softmax4j.isSupported(isa)) continue;
            String name = isa.name().toLowerCase(java.util.Locale.ROOT);
            assertTrue(probe(Map.of("S4J_ISA", name)).contains("names a level this CPU cannot run"));
            assertTrue(probe(Map.of(), "-Dsoftmax4j.isa=" + name).contains("this CPU cannot run it"));
        }
    }
}
