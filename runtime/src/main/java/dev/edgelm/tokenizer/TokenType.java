package dev.edgelm.tokenizer;

/**
 * What a token is, as GGUF's {@code tokenizer.ggml.token_type} says (codes 0 to 6), after llama.cpp's corrections
 * (end-of-generation tokens such as {@code <|im_end|>} are control tokens even when the file says normal).
 */
public enum TokenType {
    /** Code 0: no type given. Decodes to nothing. */
    UNDEFINED,
    /** Code 1: ordinary text. */
    NORMAL,
    /** Code 2: the unknown token, such as {@code <unk>}. Special: rendered only on request. */
    UNKNOWN,
    /** Code 3: control tokens such as BOS, EOS, {@code <|im_start|>}. Special: rendered only on request. */
    CONTROL,
    /** Code 4: added tokens matched in any text and always rendered as their text. */
    USER_DEFINED,
    /** Code 5: unused slots. Decode to nothing. */
    UNUSED,
    /** Code 6: byte-fallback tokens {@code <0xNN>}, decoding to one byte. */
    BYTE;

    /** The type for a GGUF code; unknown codes are {@link #UNDEFINED}, as in llama.cpp. */
    static TokenType ofCode(int code) {
        return switch (code) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
