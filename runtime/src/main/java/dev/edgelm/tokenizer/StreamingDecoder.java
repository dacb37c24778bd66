package dev.edgelm.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Turns a stream of token ids into text as it comes: each {@link #accept} returns the text that is now complete,
 * possibly empty, and never a broken character: the bytes of a UTF-8 character split over several tokens (an emoji
 * in byte-fallback tokens, say) are held until the character is complete, and a surrogate pair is returned whole.
 * Bytes that can no longer become valid UTF-8 are returned as U+FFFD, exactly as {@link Tokenizer#decode} would, so
 * the concatenation of everything returned, {@link #flush()} included, equals {@code decode} of all the ids.
 *
 * <p>Not thread-safe: one per stream. Get one from {@link Tokenizer#streamingDecoder}.
 */
public final class StreamingDecoder {
    private final IntFunction<byte[]> pieces;
    private boolean stripSpace;
    // The JDK's decoder already does what streaming needs: with endOfInput false it decodes what is complete,
    // leaves an incomplete but so far valid sequence in the input, and replaces invalid bytes as String does.
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private CharBuffer chars = CharBuffer.allocate(64);

    /**
     * @param pieces     each id's bytes as this stream renders it (empty for a hidden special token)
     * @param stripSpace remove one leading space from the first non-empty piece (SentencePiece's added prefix)
     */
    StreamingDecoder(IntFunction<byte[]> pieces, boolean stripSpace) {
        this.pieces = pieces;
        this.stripSpace = stripSpace;
    }

    /**
     * Adds token {@code id} and returns the text it completes, possibly empty.
     *
     * @throws IndexOutOfBoundsException if {@code id} is not in the vocabulary
     */
    public String accept(int id) {
        byte[] piece = pieces.apply(id);
        int from = 0;
        if (stripSpace && piece.length > 0) {
            stripSpace = false;
            if (piece[0] == ' ') {
                from = 1;
            }
        }
        int length = piece.length - from;
        if (pending.remaining() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(piece, from, length);
        return drain(false);
    }

    /** Ends the stream: returns what is held back, an incomplete character as U+FFFD. The decoder can go on after. */
    public String flush() {
        String rest = drain(true);
        utf8.reset();
        return rest;
    }

    private String drain(boolean endOfInput) {
        pending.flip();
        int needed = (int) (pending.remaining() * (double) utf8.maxCharsPerByte()) + 2;
        if (chars.capacity() < needed) {
            chars = CharBuffer.allocate(needed);
        }
        chars.clear();
        utf8.decode(pending, chars, endOfInput);
        if (endOfInput) {
            utf8.flush(chars);
        }
        pending.compact();
        chars.flip();
        return chars.toString();
    }
}
