package dev.edgelm.tokenizer;

import java.util.function.Function;

/**
 * Text to token ids and back, for one model's vocabulary. Implementations are immutable and thread-safe.
 *
 * <p>Get one from {@link Tokenizers#fromGguf}. Ids are in {@code [0, vocabularySize())}; methods taking an id throw
 * {@link IndexOutOfBoundsException} for any other.
 */
public interface Tokenizer {
    /** The id {@link #bos()}, {@link #eos()} and {@link #tokenId} return for "no such token". */
    int NO_TOKEN = -1;

    /**
     * Encodes {@code text} as llama.cpp's {@code llama_tokenize} does.
     *
     * <p>Any string is accepted: an unpaired surrogate (which UTF-8 cannot carry) is encoded as U+FFFD.
     *
     * @param addSpecial   add the tokens the model's metadata asks for around a whole prompt: BOS if
     *                     {@link #addsBos()}, EOS if {@link #addsEos()}
     * @param parseSpecial recognise control tokens written in the text ({@code <|im_start|>}, {@code <s>}): true for
     *                     text from a chat template, false for user text, so that a user cannot forge a turn.
     *                     User-defined tokens are recognised either way, as in llama.cpp and Hugging Face.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Encodes user text: no BOS/EOS, control tokens not recognised. */
    default int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * Decodes a whole token sequence, control and unknown tokens rendered as nothing.
     *
     * @see #decode(int[], boolean)
     */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes a whole token sequence, as the start of a text: for SentencePiece vocabularies the space that encoding
     * put in front of the text is removed again (from the first token that renders anything; llama.cpp removes it
     * from the first token even when that is a BOS rendering nothing, which leaves the space after BOS). Bytes that
     * do not form valid UTF-8 become U+FFFD. Exactly the concatenation of what a {@link #streamingDecoder(boolean,
     * boolean) streaming decoder} started at the text's start returns.
     *
     * <p>llama.cpp's {@code llama_detokenize} also "cleans up" spaces before punctuation for some vocabularies; this
     * does not, since that loses information and cannot be done token by token.
     *
     * @param renderSpecial render control and unknown tokens as their text ({@code <|im_end|>}); user-defined tokens
     *                      are always rendered
     */
    String decode(int[] ids, boolean renderSpecial);

    /** A streaming decoder for generated text that continues a prompt: nothing stripped, special tokens hidden. */
    default StreamingDecoder streamingDecoder() {
        return streamingDecoder(false, false);
    }

    /**
     * A decoder to feed ids one at a time, for streaming output: it returns text as soon as it forms whole
     * characters and holds back the bytes of a character split across tokens until it is complete.
     *
     * @param renderSpecial as in {@link #decode(int[], boolean)}
     * @param startOfText   the first token starts the text, so SentencePiece's added leading space is removed, as
     *                      {@link #decode} does; false when the tokens continue a prompt
     */
    StreamingDecoder streamingDecoder(boolean renderSpecial, boolean startOfText);

    /** The bytes token {@code id} decodes to on its own (special tokens rendered as their text). */
    byte[] tokenBytes(int id);

    /** The token's text as the vocabulary writes it ({@code ▁the}, {@code Ġthe}, {@code <0x0A>}). */
    String tokenText(int id);

    /** The token's type. */
    TokenType tokenType(int id);

    /** The id of the token whose vocabulary text is {@code text} exactly, or {@link #NO_TOKEN}. */
    int tokenId(String text);

    /** Beginning-of-sequence token, or {@link #NO_TOKEN}. */
    int bos();

    /** End-of-sequence token, or {@link #NO_TOKEN}. */
    int eos();

    /** Whether {@link #encode encode} with {@code addSpecial} puts BOS first (the model's metadata decides). */
    boolean addsBos();

    /** Whether {@link #encode encode} with {@code addSpecial} puts EOS last. */
    boolean addsEos();

    /** Number of tokens; ids run from 0 to this minus one. */
    int vocabularySize();

    /**
     * Whether generating {@code id} ends generation: EOS, end-of-turn tokens ({@code <|eot_id|>},
     * {@code <|im_end|>}, {@code <|end|>}, ...) and the others llama.cpp counts.
     */
    boolean isEndOfGeneration(int id);

    /**
     * A structure derived from this tokenizer's vocabulary alone (the token trie of constrained decoding): made by
     * {@code build} on the first call for {@code type}, then the same object for every later call, from any thread.
     * It lives as long as the tokenizer, so it is built once per model rather than once per request.
     */
    <T> T derived(Class<T> type, Function<Tokenizer, ? extends T> build);
}
