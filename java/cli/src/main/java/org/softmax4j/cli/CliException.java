package org.softmax4j.cli;

/**
 * A problem the user can fix (bad option values, missing data, a model file
 * that cannot be read, an unavailable device): printed as one line on stderr
 * and exit code 2, without a stack trace.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
