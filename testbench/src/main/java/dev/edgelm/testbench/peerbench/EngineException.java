package dev.edgelm.testbench.peerbench;

/** An engine process that failed: it could not start, exited non-zero, timed out or printed something unreadable. */
final class EngineException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    EngineException(String message) {
        super(message);
    }
}
