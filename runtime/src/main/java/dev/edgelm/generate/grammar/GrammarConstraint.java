package dev.edgelm.generate.grammar;

import dev.edgelm.generate.sampling.Sampler;
import dev.edgelm.tokenizer.Tokenizer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Which tokens may come next so that a generation's text stays a valid prefix of a {@link Grammar}: one per
 * generation, advanced token by token with {@link #accept}. Not thread-safe.
 *
 * <p>Tokens are byte strings, so a UTF-8 character may be split across tokens: the constraint carries the partial
 * character between tokens, and allows a token that ends inside a character only if some way of finishing that
 * character is a character the grammar allows next. A token whose bytes are not valid UTF-8 where they would go is
 * never allowed; nor are control, unknown and empty tokens; end-of-generation tokens are allowed exactly when the
 * text so far is a complete sentence (and the caller lets them end the generation).
 *
 * <p>Cost. Checking one token ({@link #allows}) steps the matcher over its bytes, a memoised table look-up per
 * character. The full set ({@link #allowedTokens}) walks the vocabulary's {@linkplain TokenTrie token trie} from
 * the current state, skipping every subtree whose prefix is rejected, and is memoised per state: text that comes
 * back to a state it has been in (the inside of a string, the next element of a list) gets its set from the memo.
 * So the cheap way to sample is to draw from the unconstrained distribution first and ask for the full set only
 * when the draw is rejected: {@link #sampleNext}.
 */
public final class GrammarConstraint {
    /** Masks kept per generation before the memo is emptied (each is a bit per vocabulary token). */
    private static final int MAX_CACHED_MASKS = 256;

    private final Automaton automaton;
    private final TokenTrie trie;
    private final boolean endTokensAllowed;
    private final TokenTrie.Step step = this::step;
    private final Map<Long, long[]> masks = new HashMap<>();
    private int state;
    private int partial = Utf8.NONE;
    private boolean ended;
    private int accepted;
    private long nanos;

    /**
     * A constraint at the start of the text, whose end-of-generation tokens end the text when it is complete.
     *
     * @see #GrammarConstraint(Grammar, Tokenizer, boolean)
     */
    public GrammarConstraint(Grammar grammar, Tokenizer tokenizer) {
        this(grammar, tokenizer, true);
    }

    /**
     * A constraint at the start of the text.
     *
     * @param endTokensAllowed whether end-of-generation tokens end the text: false when the generation goes on past
     *                         them, and then they are never allowed, since they would not end it
     */
    public GrammarConstraint(Grammar grammar, Tokenizer tokenizer, boolean endTokensAllowed) {
        this.automaton = grammar.automaton();
        this.trie = tokenizer.derived(TokenTrie.class, TokenTrie::new);
        this.endTokensAllowed = endTokensAllowed;
        this.state = automaton.start();
    }

    /** Whether {@code token} may come next. */
    public boolean allows(int token) {
        if (ended) {
            return false;
        }
        byte[] bytes = trie.textBytes(token);
        if (bytes == null) {
            return endTokensAllowed && canEnd() && isEndOfGeneration(token);
        }
        return advance(cursor(), bytes) != TokenTrie.DEAD;
    }

    /**
     * The tokens that may come next, as a new set (bit {@code i} for token {@code i}).
     *
     * @throws GrammarException if no token may: the grammar needs a character that no token of the vocabulary
     *     can write here (the message says which)
     */
    public BitSet allowedTokens() {
        return BitSet.valueOf(mask());
    }

    /**
     * Sets the logit of every token that may not come next to {@code -Infinity}.
     *
     * @param logits one per vocabulary token
     * @throws GrammarException as {@link #allowedTokens()}
     */
    public void maskLogits(float[] logits) {
        if (logits.length != trie.vocabularySize()) {
            throw new IllegalArgumentException("expected " + trie.vocabularySize() + " logits, got " + logits.length);
        }
        long[] mask = mask();
        for (int i = 0; i < logits.length; i++) {
            if ((mask[i >>> 6] & 1L << i) == 0) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Picks the next token with {@code sampler} among the allowed ones, and accepts it here (not in the sampler:
     * the caller does that). The token is first drawn from the unconstrained logits and kept if it is allowed; only
     * when it is not is it drawn again among the allowed tokens ({@link #allowedTokens}). For greedy decoding and
     * plain temperature sampling this is exactly a draw from the allowed tokens; with top-k, top-p or min-p, the
     * first draw's truncation sees every token, which slightly favours allowed tokens that rank high among all of
     * them (llama.cpp samples the same way).
     *
     * @throws GrammarException as {@link #allowedTokens}
     */
    public int sampleNext(Sampler sampler, float[] logits) {
        int token = sampler.sample(logits);
        long start = System.nanoTime();
        if (!allows(token)) {
            token = sampler.sample(logits, allowedTokens());
        }
        accept(token);
        nanos += System.nanoTime() - start;
        return token;
    }

    /** Time {@link #sampleNext} spent beyond the unconstrained draw, which sampling without a grammar makes too. */
    public long nanos() {
        return nanos;
    }

    /**
     * Moves past {@code token}, which must be allowed.
     *
     * @throws IllegalArgumentException if it is not
     */
    public void accept(int token) {
        if (!allows(token)) {
            throw new IllegalArgumentException("token " + token + " does not continue the grammar here");
        }
        byte[] bytes = trie.textBytes(token);
        if (bytes == null) {
            ended = true;
        } else {
            long cursor = advance(cursor(), bytes);
            state = (int) (cursor >>> 32);
            partial = (int) cursor;
        }
        accepted++;
    }

    /** Whether the text so far is a complete sentence of the grammar, so that the generation may end here. */
    public boolean canEnd() {
        return !ended && partial == Utf8.NONE && automaton.isAccepting(state);
    }

    /**
     * Whether the text is finished: an end-of-generation token was accepted, or the text so far is a complete
     * sentence that no character can continue.
     */
    public boolean isComplete() {
        return ended || canEnd() && !automaton.canContinue(state);
    }

    private long[] mask() {
        long cursor = cursor();
        long[] mask = ended ? new long[1] : masks.get(cursor);
        if (mask == null) {
            mask = new long[(trie.vocabularySize() + 63) >>> 6];
            trie.walk(cursor, step, mask);
            if (endTokensAllowed && canEnd()) {
                for (int token : trie.endOfGeneration()) {
                    mask[token >>> 6] |= 1L << token;
                }
            }
            if (masks.size() == MAX_CACHED_MASKS) {
                masks.clear();
            }
            masks.put(cursor, mask);
        }
        if (isEmpty(mask)) {
            throw new GrammarException("no token of the vocabulary can continue the output after " + accepted
                    + " tokens: the grammar needs " + expected() + " next");
        }
        return mask;
    }

    private static boolean isEmpty(long[] mask) {
        for (long word : mask) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    private String expected() {
        if (ended) {
            return "nothing (the output has ended)";
        }
        if (partial != Utf8.NONE) {
            return "the rest of a UTF-8 character, one of " + automaton.firstSet(state);
        }
        return automaton.canContinue(state) ? "one of " + automaton.firstSet(state) : "the end of the output";
    }

    private boolean isEndOfGeneration(int token) {
        for (int end : trie.endOfGeneration()) {
            if (end == token) {
                return true;
            }
        }
        return false;
    }

    /** Where the text is: the state in the high half, the partial character in the low half. */
    private long cursor() {
        return (long) state << 32 | partial;
    }

    private long advance(long cursor, byte[] bytes) {
        for (int i = 0; i < bytes.length && cursor != TokenTrie.DEAD; i++) {
            cursor = step(cursor, bytes[i] & 0xFF);
        }
        return cursor;
    }

    /** One byte on from {@code cursor}: a complete character moves the automaton, a partial one must fit it. */
    private long step(long cursor, int b) {
        int from = (int) (cursor >>> 32);
        int result = Utf8.step((int) cursor, b);
        if (result == Utf8.INVALID) {
            return TokenTrie.DEAD;
        }
        if ((result & Utf8.PARTIAL) != 0) {
            int p = result & ~Utf8.PARTIAL;
            return automaton.canContinueWithin(from, Utf8.low(p), Utf8.high(p)) ? (long) from << 32 | p
                    : TokenTrie.DEAD;
        }
        int next = automaton.next(from, result);
        return next == Automaton.DEAD ? TokenTrie.DEAD : (long) next << 32;
    }
}
