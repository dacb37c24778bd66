package dev.edgelm.generate.sampling;

import java.util.List;

/**
 * The log-probabilities reported for one sampled token, as OpenAI's {@code logprobs} and llama.cpp's
 * {@code n_probs} report them: natural logarithms of the model's own distribution, the log-softmax of the raw
 * logits over the whole vocabulary, before logit bias, penalties, truncation and temperature (see
 * {@link Sampler#lastLogprobs()} for why).
 *
 * @param token   the sampled token
 * @param logprob its log-probability ({@link Double#NEGATIVE_INFINITY} only if its raw logit was)
 * @param top     the most likely tokens, most likely first (equal logits: lower id first); tokens with a raw logit
 *                of {@link Double#NEGATIVE_INFINITY} are never listed, so there may be fewer than asked for
 */
public record TokenLogprobs(int token, double logprob, List<Candidate> top) {

    public TokenLogprobs {
        top = List.copyOf(top);
    }

    /** One of the most likely tokens and its log-probability (always {@code <= 0}). */
    public record Candidate(int token, double logprob) {
    }
}
