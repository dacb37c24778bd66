package dev.edgelm.generate;

import dev.edgelm.generate.sampling.TokenLogprobs;
import java.util.List;

/**
 * A finished generation.
 *
 * @param text              the generated text, stop string excluded
 * @param tokens            the generated token ids (an end-of-generation token is kept as the last one)
 * @param logprobs          per generated token, when asked for (else empty)
 * @param stopReason        why it ended
 * @param promptTokens      tokens in the prompt
 * @param reusedPromptTokens prompt tokens whose keys and values were already in the cache
 * @param prefillNanos      time spent on the prompt
 * @param decodeNanos       time spent generating, after the prompt
 * @param grammarNanos      the part of {@code decodeNanos} that the request's grammar cost: checking sampled tokens,
 *                          computing the allowed ones and drawing again when a token was refused (0 without one)
 */
public record GenerationResult(String text, int[] tokens, List<TokenLogprobs> logprobs, StopReason stopReason,
        int promptTokens, int reusedPromptTokens, long prefillNanos, long decodeNanos, long grammarNanos) {

    /** Copies. */
    public GenerationResult {
        tokens = tokens.clone();
        logprobs = List.copyOf(logprobs);
    }

    /** The generated token ids (a copy). */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Prompt tokens per second of prefill (the tokens actually computed), or 0 if none were. */
    public double prefillTokensPerSecond() {
        int computed = promptTokens - reusedPromptTokens;
        return prefillNanos == 0 ? 0 : computed * 1e9 / prefillNanos;
    }

    /**
     * Generated tokens per second after the first (whose logits come from the prefill), or 0 if fewer than two
     * tokens were generated.
     */
    public double decodeTokensPerSecond() {
        return tokens.length < 2 || decodeNanos == 0 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
    }
}
