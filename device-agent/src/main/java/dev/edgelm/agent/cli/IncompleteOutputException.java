package dev.edgelm.agent.cli;

/** A constrained output was cut short (token limit, full context) before its grammar was complete. */
final class IncompleteOutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    IncompleteOutputException(String message) {
        super(message);
    }
}
