package dev.edgelm.generate.grammar;

/**
 * A grammar or JSON schema that cannot be used: malformed, referring to something it does not define, or one that no
 * text can satisfy. Raised before generation starts; the message says what is wrong and where.
 */
public final class GrammarException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** A grammar error with a message that says what is wrong and where. */
    public GrammarException(String message) {
        super(message);
    }
}
