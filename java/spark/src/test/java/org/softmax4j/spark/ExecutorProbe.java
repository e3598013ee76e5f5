package org.softmax4j.spark;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.softmax4j.Kernels;

/** What a task reports about the JVM it runs in: run on the executors of {@link ClusterIT}. */
final class ExecutorProbe {
    private ExecutorProbe() {}

    /** executor id | pid | java.version | kernels | where Kernels was loaded from | native access flag | the JVM's args. */
    static String describe(int sleepMillis) throws InterruptedException {
        Thread.sleep(sleepMillis); // keeps the task's slot busy, so that the other executor gets tasks too
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        return String.join(
                "|",
                SparkEnv.get().executorId(),
                Long.toString(ProcessHandle.current().pid()),
                System.getProperty("java.version"),
                Kernels.cpu().name(),
                Kernels.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toString(),
                Boolean.toString(args.contains("--enable-native-access=ALL-UNNAMED")),
                String.join(" ", args));
    }
}
