package dev.edgelm.generate;

import dev.edgelm.generate.grammar.GrammarConstraint;
import dev.edgelm.generate.sampling.Sampler;
import dev.edgelm.generate.sampling.TokenLogprobs;
import dev.edgelm.model.ContextFullException;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.tokenizer.StreamingDecoder;
import dev.edgelm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation with a model: one KV cache, and the generations run on it one after another.
 *
 * <p>The cache remembers which tokens it holds, so a request whose prompt starts with the same tokens as what was
 * processed before (a system prompt, the earlier turns of a chat) computes only the rest. The prompt is processed a
 * batch at a time, then tokens are sampled and fed back one at a time; each is streamed to the {@link TokenSink} as
 * soon as it is sampled, with its text released as soon as it forms whole characters and cannot be part of a stop
 * string.
 *
 * <p>A request with a {@linkplain GenerationRequest#grammar() grammar} samples only tokens that keep the text a
 * valid prefix of it ({@link GrammarConstraint#sampleNext}: the unconstrained draw is kept when it is allowed, so
 * most tokens cost one check rather than a pass over the vocabulary). End-of-generation tokens are allowed only
 * once the text is a complete sentence, and the generation ends by itself as soon as nothing can follow the text.
 * Stop strings still apply: they can cut the text before the grammar is complete.
 *
 * <p>Not thread-safe: one generation at a time; another thread may {@linkplain Cancellation#cancel() cancel} it.
 */
public final class Session {
    private final ForwardPass pass;
    private final Tokenizer tokenizer;
    private final float[] logits;
    /** The tokens whose keys and values are in the cache, position by position. */
    private final int[] cached;
    private int cachedLength;

    /** A session over {@code pass} (whose cache it takes over) with the model's tokenizer. */
    public Session(ForwardPass pass, Tokenizer tokenizer) {
        this.pass = pass;
        this.tokenizer = tokenizer;
        this.logits = new float[pass.config().vocabularySize()];
        this.cached = new int[pass.cache().capacity()];
    }

    /** Positions the context holds. */
    public int contextLength() {
        return cached.length;
    }

    /** Tokens currently in the cache (the prompt and output of the last generation, less its last token). */
    public int cachedTokens() {
        return cachedLength;
    }

    /**
     * Runs {@code request}: processes the prompt (reusing the cached prefix), then samples up to
     * {@code maxTokens} tokens, streaming each to {@code sink}.
     *
     * @throws ContextFullException if the prompt alone does not fit in the context
     * @throws IllegalArgumentException if a prompt token is outside the vocabulary
     * @throws dev.edgelm.generate.grammar.GrammarException if at some step no token of the vocabulary can continue
     *     the request's grammar (the tokens generated until then were streamed)
     */
    public GenerationResult generate(GenerationRequest request, TokenSink sink) {
        int[] prompt = request.prompt();
        if (prompt.length > cached.length) {
            throw new ContextFullException(prompt.length, cached.length);
        }
        long start = System.nanoTime();
        int reused = commonPrefix(prompt);
        // The last prompt token is always run, since its logits pick the first generated token.
        reused = Math.min(reused, prompt.length - 1);
        cachedLength = reused;
        for (int from = reused; from < prompt.length; from += pass.batchCapacity()) {
            if (request.cancellation().isCancelled()) {
                return new GenerationResult("", new int[0], List.of(), StopReason.CANCELLED, prompt.length, reused,
                        System.nanoTime() - start, 0, 0);
            }
            int n = Math.min(pass.batchCapacity(), prompt.length - from);
            // Only the last batch's last logits pick the first token; the batches before only fill the cache.
            if (from + n == prompt.length) {
                pass.forward(prompt, from, n, from, logits);
            } else {
                pass.prefill(prompt, from, n, from);
            }
            System.arraycopy(prompt, from, cached, from, n);
            cachedLength = from + n;
        }
        long prefillNanos = System.nanoTime() - start;
        return decode(request, sink, prompt, reused, prefillNanos);
    }

    private GenerationResult decode(GenerationRequest request, TokenSink sink, int[] prompt, int reused,
            long prefillNanos) {
        long start = System.nanoTime();
        Sampler sampler = new Sampler(request.sampling(), logits.length);
        for (int token : prompt) {
            sampler.accept(token);
        }
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StopStringFilter filter = new StopStringFilter(request.stopStrings());
        GrammarConstraint constraint = request.grammar()
                .map(g -> new GrammarConstraint(g, tokenizer, !request.ignoreEndOfGeneration()))
                .orElse(null);
        int[] generated = new int[Math.min(request.maxTokens(), 1024)];
        int count = 0;
        List<TokenLogprobs> logprobs = new ArrayList<>();
        StopReason reason = StopReason.LENGTH;
        while (count < request.maxTokens()) {
            if (request.cancellation().isCancelled()) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (constraint != null && constraint.isComplete()) { // an empty text can be the whole sentence
                reason = StopReason.GRAMMAR_COMPLETE;
                break;
            }
            if (count > 0) {
                // Feed the previous token back, at the first position the cache does not hold yet.
                pass.forward(generated, count - 1, 1, cachedLength, logits);
                cached[cachedLength++] = generated[count - 1];
            }
            int token = constraint == null ? sampler.sample(logits) : constraint.sampleNext(sampler, logits);
            sampler.accept(token);
            TokenLogprobs lp = sampler.lastLogprobs();
            if (lp != null) {
                logprobs.add(lp);
            }
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, Math.min(request.maxTokens(), 2 * count));
            }
            generated[count++] = token;
            boolean endOfGeneration = !request.ignoreEndOfGeneration() && tokenizer.isEndOfGeneration(token);
            boolean grammarComplete = constraint != null && constraint.isComplete() && !endOfGeneration;
            boolean contextFull = cachedLength == cached.length;
            boolean last = endOfGeneration || grammarComplete || contextFull || count == request.maxTokens();
            // On the last token, release what was held back for a split character or a possible stop string.
            String text = filter.accept(decoder.accept(token) + (last ? decoder.flush() : ""));
            if (last && !filter.stopped()) {
                text += filter.flush();
            }
            sink.onToken(new GeneratedToken(token, text, lp));
            if (filter.stopped()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (endOfGeneration) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
            if (grammarComplete) {
                reason = StopReason.GRAMMAR_COMPLETE;
                break;
            }
            if (contextFull && count < request.maxTokens()) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
        }
        return new GenerationResult(filter.text(), Arrays.copyOf(generated, count), logprobs, reason, prompt.length,
                reused, prefillNanos, System.nanoTime() - start, constraint == null ? 0 : constraint.nanos());
    }

    /** How many leading prompt tokens the cache already holds. */
    private int commonPrefix(int[] prompt) {
        int n = Math.min(cachedLength, prompt.length);
        int i = 0;
        while (i < n && cached[i] == prompt[i]) {
            i++;
        }
        return i;
    }
}
