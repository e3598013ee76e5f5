// Checks the consumer's two runs of Example (pom.xml: run-classpath,
// run-modulepath). Each must print one line "<loss> via <kernels' name>",
// with the loss the README's inputs give, and no JVM warning (a missing
// --enable-native-access shows up as "WARNING: A restricted method ...").
// Also checks that the softmax4j the consumer resolved by coordinates is
// this build's jar.

// the README example's loss, in double: mean over the 3 non-ignored rows of
// (1 - eps) (lse - x[y]) + eps/C * sum_k (lse - x[k])
double[][] logits = [[2, 1, 0], [0, 5, 1], [100, 0, 0]]
int[] targets = [0, 1, 2]
double eps = 0.1
double expected = 0
for (int i = 0; i < 3; i++) {
    double[] x = logits[i]
    double m = x.max()
    double lse = m + Math.log(x.collect { Math.exp(it - m) }.sum() as double)
    double smooth = x.collect { lse - it }.sum() as double
    expected += (1 - eps) * (lse - x[targets[i]]) + eps / x.length * smooth
}
expected /= 3

// the program's output in build.log: the lines of the exec section that
// are not Maven's (those start with "[INFO]", "[WARNING]", ...)
List<String> log = new File(basedir, 'build.log').readLines()
        .collect { it.replaceAll('\u001B\\[[0-9;]*m', '') }
List<String> runOutput(List<String> log, String id) {
    int start = log.findIndexOf { it.contains("exec (${id}) @") }
    assert start >= 0 : "build.log has no exec (${id})"
    List<String> out = []
    for (String line : log.drop(start + 1)) {
        if (line.startsWith('[INFO] ---') || line.startsWith('[INFO] ===')) break
        if (!line.startsWith('[') && !line.trim().isEmpty()) out << line
    }
    return out
}

def losses = [:]
for (run in ['classpath', 'modulepath']) {
    List<String> lines = runOutput(log, "run-${run}")
    String text = lines.join('\n')
    println "[consumer/${run}] " + lines.join("\n[consumer/${run}] ")
    assert !lines.any { it.contains('WARNING') } : "the ${run} run printed JVM warnings:\n${text}"
    assert lines.size() == 1 : "the ${run} run should print one line, printed:\n${text}"
    def m = lines[0] =~ /^(\S+) via (cpu\/.+)$/
    assert m.matches() : "the ${run} run printed '${lines[0]}', not '<loss> via cpu/...'"
    double loss = Double.parseDouble(m.group(1))
    assert !Double.isNaN(loss) && !Double.isInfinite(loss) : "the ${run} run's loss is not finite: ${loss}"
    assert Math.abs(loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected)) :
            "the ${run} run's loss ${loss} differs from the expected ${expected}"
    losses[run] = loss
}
assert losses.classpath == losses.modulepath : "class path and module path runs differ: ${losses}"

// resolved by coordinates from the private repository, where invoker:install
// put the jar this build made
File installed = new File(installedJar)
File built = new File(builtJar)
assert installed.isFile() : "not in the private repository: ${installed}"
assert java.nio.file.Files.mismatch(installed.toPath(), built.toPath()) == -1L : "${installed} is not this build's ${built}"
println "[consumer] loss ${losses.classpath} (expected ${expected}) on the class path and the module path"
return true
