package org.softmax4j.data;

/**
 * A data set that cannot be used: a missing directory or file, or a file that
 * is truncated, corrupt or inconsistent. The message names the file (or
 * directory) and the problem, and is meant to be shown to the user as is.
 */
public final class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with a user-facing message. */
    public DataException(String message) {
        super(message);
    }

    /** An error with a user-facing message and the low-level cause. */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
