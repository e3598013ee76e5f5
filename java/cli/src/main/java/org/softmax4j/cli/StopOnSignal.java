package org.softmax4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.softmax4j.train.TrainingState;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a training run is on: the first SIGINT (Ctrl-C) or SIGTERM asks it
 * to stop at the next step, so that the command saves a resumable model and
 * says how to continue; a second one quits at once, saving nothing. The
 * previous handlers come back on {@link #close}. {@code sun.misc.Signal}
 * (module jdk.unsupported) is the JDK's only way to catch a signal and know
 * which one came; shutdown hooks cannot wait for a save reliably.
 */
final class StopOnSignal implements AutoCloseable {
    private final Runnable requestStop;
    private final String saves;
    private final PrintWriter err;
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile Signal received;

    StopOnSignal(TrainingState state, PrintWriter err) {
        this(state::requestStop, "a resumable model", err);
    }

    /** {@code requestStop} asks the run to stop; {@code saves}: what the command then saves, for the message. */
    StopOnSignal(Runnable requestStop, String saves, PrintWriter err) {
        this.requestStop = requestStop;
        this.saves = saves;
        this.err = err;
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal s = new Signal(name);
                previous.add(Signal.handle(s, this::handle));
                signals.add(s);
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal for itself (-Xrs, or another OS): leave it
            }
        }
    }

    private void handle(Signal s) {
        if (received != null) {
            err.println("softmax4j train: second SIG" + s.getName() + ": quitting without saving");
            err.flush();
            Runtime.getRuntime().halt(128 + s.getNumber());
        }
        received = s;
        requestStop.run();
        err.println("softmax4j train: SIG" + s.getName() + ": stopping after this step to save " + saves
                + " (again to quit without saving)");
        err.flush();
    }

    /** The signal that stopped the run, e.g. "SIGINT", or null. */
    String received() {
        Signal s = received;
        return s == null ? null : "SIG" + s.getName();
    }

    /** The exit code of a run stopped by the signal: 128 + its number, as a shell reports it. */
    int exitCode() {
        return 128 + received.getNumber();
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) Signal.handle(signals.get(i), previous.get(i));
    }
}
