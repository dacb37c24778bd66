package dev.edgelm.generate;

import dev.edgelm.model.ForwardPass;
import dev.edgelm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Perplexity of a model on a text, exactly as llama.cpp's {@code llama-perplexity} defines it by default (no
 * stride): the tokens are cut into chunks of the context length {@code n_ctx}; each chunk is evaluated from an
 * empty cache, with its first token replaced by BOS when the vocabulary adds BOS; the tokens of the chunk's second
 * half are scored, each by the negative log-probability the model gave it after the tokens before it (positions
 * {@code j} in {@code [n_ctx/2, n_ctx - 2]} predict token {@code j + 1}), so that every scored token has at least
 * half a context before it. The perplexity is {@code exp(mean)} of those values over all chunks, and its
 * uncertainty {@code ppl * sqrt(var / (count - 1))}, llama.cpp's estimate.
 *
 * <p>The context length is the pass's cache capacity. Not thread-safe (it drives one {@link ForwardPass}).
 */
public final class Perplexity {

    /** The smallest context with a scored token per chunk: positions {@code [n/2, n - 2]} must not be empty. */
    public static final int MIN_CONTEXT = 4;

    private final ForwardPass pass;
    private final int contextLength;
    private final int vocabularySize;
    /** Logits of one batch of scored positions: the whole chunk's would be {@code n_ctx * vocab} floats. */
    private final float[] logits;

    /**
     * A calculator on {@code pass}, whose cache capacity is the context length {@code n_ctx}.
     *
     * @throws IllegalArgumentException if the context is shorter than {@link #MIN_CONTEXT}
     */
    public Perplexity(ForwardPass pass) {
        this.pass = Objects.requireNonNull(pass);
        this.contextLength = pass.cache().capacity();
        if (contextLength < MIN_CONTEXT) {
            throw new IllegalArgumentException("perplexity needs a context of at least " + MIN_CONTEXT
                    + " tokens, got " + contextLength);
        }
        this.vocabularySize = pass.config().vocabularySize();
        this.logits = new float[pass.batchCapacity() * vocabularySize];
    }

    /**
     * The result.
     *
     * @param perplexity    {@code exp} of the mean negative log-likelihood of the scored tokens
     * @param error         llama.cpp's uncertainty of the perplexity (0 when the scores do not vary)
     * @param chunks        chunks evaluated
     * @param tokensScored  tokens whose log-likelihood counts
     * @param contextLength the chunk length {@code n_ctx}
     */
    public record Result(double perplexity, double error, int chunks, int tokensScored, int contextLength) {}

    /** Told after each chunk, as llama-perplexity prints {@code [chunk]ppl,}. */
    @FunctionalInterface
    public interface ChunkListener {
        /**
         * Chunk {@code chunk} (from 1) of {@code chunks} is done.
         *
         * @param perplexity the perplexity over the chunks done so far
         */
        void chunkDone(int chunk, int chunks, double perplexity);
    }

    /**
     * The tokens llama-perplexity evaluates for {@code text}: the whole text tokenized with the special tokens the
     * vocabulary adds (BOS, if it adds one) and no control tokens parsed from the text.
     *
     * @throws IllegalArgumentException if the vocabulary adds EOS, which llama-perplexity refuses
     */
    public static int[] tokenize(Tokenizer tokenizer, String text) {
        if (tokenizer.addsEos()) {
            throw new IllegalArgumentException("the model's vocabulary adds EOS to every text, which perplexity as "
                    + "llama-perplexity defines it does not allow");
        }
        return tokenizer.encode(text, true, false);
    }

    /** The fewest tokens a text needs for a context of {@code contextLength}: two chunks, as llama.cpp asks. */
    public static int minimumTokens(int contextLength) {
        return 2 * contextLength;
    }

    /**
     * Evaluates {@code tokens}.
     *
     * @param tokens    the text's tokens, from {@link #tokenize}
     * @param bos       the token that replaces each chunk's first token, or {@link Tokenizer#NO_TOKEN} to keep it
     *                  (llama.cpp replaces it when the vocabulary adds BOS)
     * @param maxChunks the most chunks to evaluate (positive), or negative for all
     * @param listener  told after each chunk
     * @throws IllegalArgumentException if there are fewer than {@link #minimumTokens} tokens, {@code maxChunks} is
     *     0, or a token is outside the vocabulary
     */
    public Result evaluate(int[] tokens, int bos, int maxChunks, ChunkListener listener) {
        if (maxChunks == 0) {
            throw new IllegalArgumentException("at least one chunk is needed (a negative count means all)");
        }
        int needed = minimumTokens(contextLength);
        if (tokens.length < needed) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with a context "
                    + "of " + contextLength + " needs at least " + needed);
        }
        int available = tokens.length / contextLength;
        int chunks = maxChunks < 0 ? available : Math.min(maxChunks, available);
        int first = contextLength / 2;
        double nll = 0;
        double nll2 = 0;
        int count = 0;
        for (int chunk = 0; chunk < chunks; chunk++) {
            int[] window = Arrays.copyOfRange(tokens, chunk * contextLength, (chunk + 1) * contextLength);
            if (bos != Tokenizer.NO_TOKEN) {
                window[0] = bos;
            }
            // Every chunk starts at position 0: the cache's earlier entries are overwritten before they are read,
            // which is llama.cpp's cache clear. Logits are only needed where tokens are scored, so the first half
            // only fills the cache, and the last position predicts nothing that is scored, so it is not run at all.
            pass.prefill(window, 0, first, 0);
            for (int from = first; from < contextLength - 1; from += pass.batchCapacity()) {
                int n = Math.min(pass.batchCapacity(), contextLength - 1 - from);
                pass.forwardAll(window, from, n, from, logits);
                for (int i = 0; i < n; i++) {
                    double v = negativeLogLikelihood(logits, i * vocabularySize, vocabularySize, window[from + i + 1]);
                    nll += v;
                    nll2 += v * v;
                }
                count += n;
            }
            listener.chunkDone(chunk + 1, chunks, Math.exp(nll / count));
        }
        double mean = nll / count;
        double perplexity = Math.exp(mean);
        // Rounding can make the variance of equal scores slightly negative: llama.cpp prints no estimate then.
        double variance = nll2 / count - mean * mean;
        double error = variance > 0 && count > 1 ? Math.sqrt(variance / (count - 1)) * perplexity : 0;
        return new Result(perplexity, error, chunks, count, contextLength);
    }

    /**
     * {@code -log_softmax(logits)[token]} over {@code vocab} logits from {@code offset}, with llama-perplexity's
     * arithmetic: the maximum and the differences in float, {@code expf} of each difference summed in double.
     *
     * @throws IndexOutOfBoundsException if {@code token} is not in {@code [0, vocab)}
     */
    public static double negativeLogLikelihood(float[] logits, int offset, int vocab, int token) {
        Objects.checkIndex(token, vocab);
        float max = logits[offset];
        for (int i = 1; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += (float) Math.exp(logits[offset + i] - max);
        }
        return -((logits[offset + token] - max) - Math.log(sum));
    }
}
