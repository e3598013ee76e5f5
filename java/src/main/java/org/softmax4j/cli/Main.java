package org.softmax4j.cli;

/** Placeholder entry point replaced by the CLI (issue 4). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println(org.softmax4j.Kernels.cpu().name());
    }
}
