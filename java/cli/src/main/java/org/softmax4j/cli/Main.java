package org.softmax4j.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.softmax4j.Softmax4j;
import org.softmax4j.data.DataException;
import org.softmax4j.train.CheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code softmax4j} command line: train softmax regression on a labelled
 * table (Fashion-MNIST by default) and study the result. Exit codes: 0 success, 1 an unexpected
 * failure (a bug: run with {@code --verbose} for the stack trace), 2 a usage
 * or data error (one line on stderr says what to fix).
 */
@Command(
        name = "softmax4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Softmax regression (multinomial logistic regression) with minibatch SGD on "
                    + "your own data (CSV/TSV, LIBSVM, NumPy, IDX) or, by default, Fashion-MNIST; every "
                    + "step through softmax4j's native kernels (GEMM, fused softmax cross-entropy, "
                    + "SGD update).",
            ""
        },
        commandListHeading = "%nCommands:%n",
        footer = {
            "",
            "Run 'softmax4j COMMAND --help' for the options of a command.",
            "Data: --data FILE (CSV/TSV, LIBSVM, .npy/.npz, IDX; see 'softmax4j train --help'), or "
                    + "the Fashion-MNIST directory: --data DIR, else $SOFTMAX4J_DATA, else "
                    + "/usr/share/datasets/fashion-mnist (Debian/Ubuntu: sudo apt-get install "
                    + "dataset-fashion-mnist).",
            "Outputs go to runs/COMMAND-yyyyMMdd-HHmmss/ unless --out DIR is given.",
            "Exit codes: 0 success, 1 unexpected failure, 2 usage or data error."
        },
        subcommands = {
            TrainCommand.class,
            EvalCommand.class,
            PredictCommand.class,
            SweepCommand.class,
            MisclassifiedCommand.class,
            QuantizeCommand.class,
            FormatsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Show the stack trace of errors.")
    boolean verbose;

    final Map<String, String> env;
    final Path workDir;
    /** Whether a person watches a terminal (then progress bars are drawn on stderr). */
    boolean interactive;

    /** The command as run from a shell: the process environment and current directory. */
    public Main() {
        this(System.getenv(), Path.of(""));
    }

    Main(Map<String, String> env, Path workDir) {
        this.env = env;
        this.workDir = workDir;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        CommandLine cl = commandLine(out, err, System.getenv(), Path.of(""));
        // Only a terminal gets a progress bar: CI logs and pipes get the epoch lines alone.
        ((Main) cl.getCommand()).interactive =
                System.console() != null && System.console().isTerminal();
        int code = cl.execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs a command line in this process (the tests use it): output to
     * {@code out}, messages and errors to {@code err}; {@code env} stands for
     * the environment and {@code workDir} for the current directory.
     *
     * @return the exit code
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, Path workDir) {
        return commandLine(out, err, env, workDir).execute(args);
    }

    /** The configured picocli command line. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, Map<String, String> env, Path workDir) {
        Main main = new Main(env, workDir);
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(parameterErrors(err));
        cl.setExecutionExceptionHandler(executionErrors(err, main));
        // every command's -V prints the version, not only the top level's
        for (CommandLine sub : cl.getSubcommands().values())
            sub.getCommandSpec().versionProvider(new Version());
        return cl;
    }

    /** A usage error: one line naming the command and the problem, exit 2. */
    private static IParameterExceptionHandler parameterErrors(PrintWriter err) {
        return (ex, args) -> {
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            String message = String.valueOf(ex.getMessage())
                    .lines()
                    .findFirst()
                    .orElse("")
                    .strip();
            if (ex instanceof CommandLine.UnmatchedArgumentException u) {
                List<String> close = suggestions(u);
                if (!close.isEmpty()) message += "; did you mean " + String.join(" or ", close) + "?";
            }
            err.println(name + ": " + message + " (see '" + name + " --help')");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        };
    }

    /**
     * Up to three commands or options close to what was typed: picocli's
     * (prefixes of commands), else the options within an edit distance of 2
     * (or 1 for short words) of each unknown "--word".
     */
    static List<String> suggestions(CommandLine.UnmatchedArgumentException u) {
        List<String> picocli = u.getSuggestions();
        if (!picocli.isEmpty()) return picocli.subList(0, Math.min(3, picocli.size()));
        List<String> close = new ArrayList<>();
        for (String typed : u.getUnmatched()) {
            if (!typed.startsWith("-")) continue;
            String word = typed.contains("=") ? typed.substring(0, typed.indexOf('=')) : typed;
            int limit = word.length() <= 4 ? 1 : 2;
            u.getCommandLine().getCommandSpec().optionsMap().keySet().stream()
                    .filter(name -> name.startsWith("--") && distance(word, name) <= limit)
                    .sorted(Comparator.comparingInt((String name) -> distance(word, name))
                            .thenComparing(name -> name))
                    .limit(3)
                    .forEach(close::add);
        }
        return close.stream().distinct().limit(3).toList();
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int same = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + same);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** User errors in one line with exit 2; anything else is a bug, exit 1. */
    private static IExecutionExceptionHandler executionErrors(PrintWriter err, Main main) {
        return (ex, cl, parseResult) -> {
            String name = cl.getCommandSpec().qualifiedName();
            boolean user =
                    ex instanceof CliException || ex instanceof DataException || ex instanceof CheckpointException;
            if (user) {
                String message = String.valueOf(ex.getMessage());
                // Library messages start with "softmax4j: "; the command's name says that already.
                if (message.startsWith("softmax4j: ")) message = message.substring("softmax4j: ".length());
                err.println(name + ": " + message);
            } else {
                err.println(name + ": unexpected error: " + ex
                        + (main.verbose ? "" : " (run with --verbose for the stack trace)"));
            }
            if (main.verbose) ex.printStackTrace(err);
            err.flush();
            return user ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
        };
    }

    /** The version of the jar (from Maven's pom.properties) and of the native library. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String jar = "dev";
            try (InputStream in =
                    Main.class.getResourceAsStream("/META-INF/maven/org.softmax4j/softmax4j/pom.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    jar = p.getProperty("version", jar);
                }
            } catch (java.io.IOException e) {
                // keep "dev"
            }
            String natives;
            try {
                natives = "native " + Softmax4j.version() + ", "
                        + Softmax4j.isa().name().toLowerCase() + ", " + Softmax4j.threads() + " threads";
            } catch (RuntimeException | LinkageError e) {
                natives = "native library unavailable: " + e.getMessage();
            }
            return new String[] {
                "softmax4j " + jar + " (" + natives + ")",
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
