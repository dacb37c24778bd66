package dev.edgelm.generate;

/** Receives generated tokens as they come, on the generating thread. */
@FunctionalInterface
public interface TokenSink {
    /** Called once per generated token, in order. */
    void onToken(GeneratedToken token);

    /** A sink that ignores every token. */
    static TokenSink none() {
        return token -> { };
    }
}
