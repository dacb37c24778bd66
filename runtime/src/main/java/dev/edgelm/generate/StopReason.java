package dev.edgelm.generate;

/**
 * Why a generation ended.
 *
 * <p>Under a grammar, the text is a complete sentence of it when the generation ends with {@link #GRAMMAR_COMPLETE}
 * or {@link #END_OF_GENERATION} (allowed only then). {@link #LENGTH}, {@link #CONTEXT_FULL} and {@link #CANCELLED}
 * cut it short, and a {@linkplain #STOP_STRING stop string} cuts it where the stop string starts: the text is then a
 * valid prefix, not necessarily a whole sentence.
 */
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
    CONTEXT_FULL,
    /** The request's grammar is complete: the text is a sentence of it and no character can follow. */
    GRAMMAR_COMPLETE
}
