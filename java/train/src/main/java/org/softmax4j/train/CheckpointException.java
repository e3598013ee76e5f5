package org.softmax4j.train;

/** A model file that cannot be read: its message names the file and the problem. */
public final class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with a user-facing message. */
    public CheckpointException(String message) {
        super(message);
    }

    /** An error with a user-facing message and its cause. */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
