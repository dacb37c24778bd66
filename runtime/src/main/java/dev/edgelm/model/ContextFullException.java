package dev.edgelm.model;

/** A sequence would grow past its context: the message says how long it would be and how much room there is. */
public final class ContextFullException extends RuntimeException {
    private final int needed;
    private final int capacity;

    /** A sequence of {@code needed} positions does not fit a context of {@code capacity}. */
    public ContextFullException(int needed, int capacity) {
        super("the context is full: " + needed + " tokens do not fit in a context of " + capacity
                + " (use a larger context or a shorter prompt)");
        this.needed = needed;
        this.capacity = capacity;
    }

    /** Positions the sequence would need. */
    public int needed() {
        return needed;
    }

    /** Positions the context holds. */
    public int capacity() {
        return capacity;
    }
}
