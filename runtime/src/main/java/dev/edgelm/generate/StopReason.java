package dev.edgelm.generate;

/** Why a generation ended. */
public enum StopReason {
    /** The requested number of tokens was generated. */
    LENGTH,
    /** The model generated an end-of-generation token (EOS, end of turn). */
    END_OF_GENERATION,
    /** The text reached one of the request's stop strings (which is not part of the result). */
    STOP_STRING,
    /** The request was cancelled. */
    CANCELLED,
    /** The context has no room for another token. */
    CONTEXT_FULL
}
