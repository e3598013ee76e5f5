package org.softmax4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Spark cluster on 127.0.0.1 for the tests: one Master and
 * workers, each a JVM of its own started from the Maven jars. The Workers
 * launch executors through Spark's launcher, which wants a SPARK_HOME
 * with {@code jars/}: one is assembled under the build directory from links
 * to the jars of Spark's Maven classpath, with a {@code conf/} that keeps the
 * daemons' logs at WARN. Nothing is downloaded and nothing outlives
 * {@link #close}, which kills the daemons and the executors they started.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final Path sparkHome;
    private final List<String> jvmFlags;
    private final int masterPort, masterUiPort, workerCount;
    private final List<Process> daemons = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final Thread reaper = new Thread(this::killAll, "standalone-cluster-reaper");

    /**
     * Starts a Master, waits until it is up, and starts {@code workers} Workers of
     * {@code cores} cores and {@code memory} (e.g. "1g") each; {@link #awaitWorkers}
     * waits for their registration (a driver may start meanwhile).
     *
     * @param sparkClasspath Spark's jars, as {@code dependency:build-classpath} lists them
     * @param jvmFlags       JVM options of the daemons (Spark's --add-opens)
     */
    StandaloneCluster(Path dir, List<Path> sparkClasspath, String jvmFlags, int workers, int cores, String memory)
            throws IOException, InterruptedException {
        this.dir = dir;
        this.workerCount = workers;
        this.jvmFlags = Arrays.stream(jvmFlags.trim().split("\\s+")).toList();
        sparkHome = assembleSparkHome(dir.resolve("spark-home"), sparkClasspath);
        masterPort = freePort();
        masterUiPort = freePort();
        Runtime.getRuntime().addShutdownHook(reaper);
        boolean started = false;
        try {
            start(
                    "master",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    Integer.toString(masterPort),
                    "--webui-port",
                    Integer.toString(masterUiPort));
            awaitJson("\"status\" *: *\"ALIVE\"", "the Master to be ALIVE");
            for (int w = 0; w < workers; w++) {
                Path work = dir.resolve("work-" + w);
                deleteTree(work);
                Files.createDirectories(work);
                start(
                        "worker-" + w,
                        "org.apache.spark.deploy.worker.Worker",
                        "--host",
                        "127.0.0.1",
                        "--cores",
                        Integer.toString(cores),
                        "--memory",
                        memory,
                        "--webui-port",
                        "0",
                        "--work-dir",
                        work.toString(),
                        masterUrl());
            }
            started = true;
        } finally {
            if (!started) close();
        }
    }

    /** Waits until every Worker has registered with the Master. */
    void awaitWorkers() throws InterruptedException {
        awaitJson("\"aliveworkers\" *: *" + workerCount + "\\b", workerCount + " registered Workers");
    }

    /** The URL drivers connect to. */
    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The Worker JVMs, in start order. */
    List<ProcessHandle> workers() {
        return daemons.subList(1, daemons.size()).stream()
                .map(Process::toHandle)
                .toList();
    }

    /** The executor JVM that a Worker started for {@code executorId}, if it runs. */
    Optional<ProcessHandle> executor(String executorId) {
        for (ProcessHandle w : workers()) {
            Optional<ProcessHandle> e =
                    w.descendants().filter(p -> isExecutor(p, executorId)).findFirst();
            if (e.isPresent()) return e;
        }
        return Optional.empty();
    }

    private static boolean isExecutor(ProcessHandle p, String executorId) {
        String[] args = p.info().arguments().orElse(new String[0]);
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--executor-id") && args[i + 1].equals(executorId)) return true;
        }
        return false;
    }

    /** The last lines of every daemon's log, for a failure message. */
    String logTails() {
        StringBuilder out = new StringBuilder();
        for (Path log : logs) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                out.append("\n--- ").append(log.getFileName()).append(" ---\n");
                lines.subList(Math.max(0, lines.size() - 30), lines.size())
                        .forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("\n--- ").append(log).append(": ").append(e);
            }
        }
        return out.toString();
    }

    private void start(String name, String mainClass, String... args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx256m"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", sparkHome.resolve("conf") + ":" + sparkHome.resolve("jars") + "/*", mainClass));
        cmd.addAll(Arrays.asList(args));
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        // the launcher asks for it and, in a distribution, would read it from its scripts
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.remove("SPARK_CONF_DIR");
        logs.add(log);
        daemons.add(pb.start());
    }

    private void awaitJson(String regex, String what) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                .timeout(Duration.ofSeconds(5))
                .build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            for (Process d : daemons) {
                if (!d.isAlive()) {
                    throw new IllegalStateException(
                            "a Spark daemon exited (" + d.exitValue() + ") while waiting for " + what + logTails());
                }
            }
            try {
                last = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = p.matcher(last);
                if (m.find()) return;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(
                "no " + what + " within " + START_TIMEOUT.toSeconds() + " s; the Master said: " + last + logTails());
    }

    private static Path assembleSparkHome(Path home, List<Path> classpath) throws IOException {
        Path jars = home.resolve("jars"), conf = home.resolve("conf");
        if (Files.exists(jars)) {
            try (var old = Files.list(jars)) {
                for (Path p : old.toList()) Files.delete(p);
            }
        }
        Files.createDirectories(jars);
        Files.createDirectories(conf);
        for (Path jar : classpath) {
            if (!jar.getFileName().toString().endsWith(".jar")) {
                throw new IllegalArgumentException("Spark's classpath holds a non-jar: " + jar);
            }
            Path link = jars.resolve(jar.getFileName());
            try {
                Files.createSymbolicLink(link, jar.toAbsolutePath());
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(jar, link); // where links cannot be made
            }
        }
        Files.writeString(conf.resolve("log4j2.properties"), """
                rootLogger.level = warn
                rootLogger.appenderRef.stderr.ref = console
                appender.console.type = Console
                appender.console.name = console
                appender.console.target = SYSTEM_ERR
                appender.console.layout.type = PatternLayout
                appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
                """);
        return home;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Kills the executors, then the daemons, each waited for (bounded). */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook runs anyway
        }
    }

    private void killAll() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process d : daemons) {
            d.toHandle().descendants().forEach(all::add);
            all.add(d.toHandle());
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("process " + p.pid() + " did not exit", e);
            }
        }
    }

    static List<Path> readClasspath(Path file) {
        try {
            String cp = Files.readString(file, StandardCharsets.UTF_8).trim();
            return Arrays.stream(cp.split(":"))
                    .filter(s -> !s.isEmpty())
                    .map(Path::of)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (written by the dependency plugin)", e);
        }
    }
}
