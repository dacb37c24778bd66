package dev.edgelm.tokenizer;

/**
 * A model's tokenizer that EdgeLM does not implement; the message is one line naming the metadata value and what is
 * supported.
 */
public final class UnsupportedTokenizerException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsupportedTokenizerException(String message) {
        super(message);
    }
}
