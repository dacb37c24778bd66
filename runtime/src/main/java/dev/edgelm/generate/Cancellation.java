package dev.edgelm.generate;

/**
 * A flag another thread sets to stop a generation. The generation checks it before every batch of the prompt and
 * every generated token, so it stops within one forward pass.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** Asks the generation to stop; it ends with {@link StopReason#CANCELLED}. Idempotent. */
    public void cancel() {
        cancelled = true;
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
