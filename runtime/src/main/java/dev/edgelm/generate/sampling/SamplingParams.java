package dev.edgelm.generate.sampling;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to pick each next token: immutable, validated on construction, with llama.cpp's defaults
 * ({@code common_params_sampling}) so that the same settings mean the same thing on both sides.
 *
 * <p>The order in which a {@link Sampler} applies them is llama.cpp's default chain: logit bias, then
 * repetition/frequency/presence penalties, then top-k, top-p, min-p (these three on the temperature-1 distribution),
 * then temperature, then a draw from what is left. A temperature {@code <= 0} picks the highest logit (after bias and
 * penalties) instead of drawing: greedy.
 *
 * @param temperature      divides the logits before the draw; {@code <= 0} means greedy. Must be finite.
 * @param topK             keep the {@code topK} most likely tokens; {@code 0} turns top-k off.
 * @param topP             keep the smallest set of most likely tokens whose probabilities add up to at least
 *                         {@code topP}; in (0, 1], {@code 1} turns it off.
 * @param minP             keep the tokens whose probability is at least {@code minP} times the most likely token's;
 *                         in [0, 1], {@code 0} turns it off.
 * @param minKeep          top-p and min-p keep at least this many tokens (and always at least one); {@code >= 0}.
 * @param repeatPenalty    for tokens among the last {@code repeatLastN} accepted: positive logits are divided by it,
 *                         negative ones multiplied; {@code 1} turns it off. Finite and {@code > 0}.
 * @param repeatLastN      how many of the most recently accepted tokens the penalties look at: {@code 0} turns
 *                         the penalties off, {@code -1} means every accepted token.
 * @param presencePenalty  subtracted once from the logit of each token in the window; finite, {@code 0} is off.
 * @param frequencyPenalty subtracted from a token's logit once per occurrence in the window; finite, {@code 0} is
 *                         off.
 * @param logitBias        added to the logits of the given token ids before anything else;
 *                         {@link Double#NEGATIVE_INFINITY} bans a token. Values must be finite or negative
 *                         infinity; ids are checked against the vocabulary when a {@link Sampler} is made.
 * @param seed             seeds the draws: the same seed, logits and accepted tokens give the same tokens.
 *                         {@link #RANDOM_SEED} asks the sampler to pick one ({@link Sampler#seed()} says which).
 * @param topLogprobs      how many of the most likely tokens (with their log-probabilities) to report for each
 *                         sampled token; {@code 0} reports none. See {@link Sampler#lastLogprobs()}.
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        int minKeep,
        double repeatPenalty,
        int repeatLastN,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        long seed,
        int topLogprobs) {

    /** The seed that asks the sampler to choose a seed itself (llama.cpp's {@code LLAMA_DEFAULT_SEED} plays this role). */
    public static final long RANDOM_SEED = -1L;

    private static final SamplingParams DEFAULTS =
            new SamplingParams(0.8, 40, 0.95, 0.05, 0, 1.0, 64, 0.0, 0.0, Map.of(), RANDOM_SEED, 0);

    /** Validates every field; the logit bias map is copied (sorted by token id) and cannot be changed afterwards. */
    public SamplingParams {
        if (!Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temp must be finite (<= 0 means greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 turns it off), got " + topK);
        }
        if (!(topP > 0.0 && topP <= 1.0)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0.0 && minP <= 1.0)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        }
        if (minKeep < 0) {
            throw new IllegalArgumentException("min_keep must be >= 0, got " + minKeep);
        }
        if (!(Double.isFinite(repeatPenalty) && repeatPenalty > 0.0 && Double.isFinite(1.0 / repeatPenalty))) {
            throw new IllegalArgumentException(
                    "repeat_penalty must be finite and > 0 (1 turns it off), got " + repeatPenalty);
        }
        if (repeatLastN < -1) {
            throw new IllegalArgumentException(
                    "repeat_last_n must be >= -1 (-1: every accepted token, 0: off), got " + repeatLastN);
        }
        if (!Double.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presence_penalty must be finite, got " + presencePenalty);
        }
        if (!Double.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequency_penalty must be finite, got " + frequencyPenalty);
        }
        if (topLogprobs < 0) {
            throw new IllegalArgumentException("top_logprobs must be >= 0 (0 reports none), got " + topLogprobs);
        }
        if (logitBias == null) {
            throw new IllegalArgumentException("logit_bias must not be null (use an empty map)");
        }
        TreeMap<Integer, Double> copy = new TreeMap<>();
        for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
            Integer token = e.getKey();
            Double bias = e.getValue();
            if (token == null || token < 0) {
                throw new IllegalArgumentException("logit_bias token ids must be >= 0, got " + token);
            }
            if (bias == null || bias.isNaN() || bias == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit_bias for token " + token
                        + " must be finite or -Infinity (to ban it), got " + bias);
            }
            copy.put(token, bias);
        }
        logitBias = Collections.unmodifiableMap(copy);
    }

    /** llama.cpp's defaults: temp 0.8, top_k 40, top_p 0.95, min_p 0.05, no penalties, no bias, a random seed. */
    public static SamplingParams defaults() {
        return DEFAULTS;
    }

    /** The defaults with temperature 0: always the most likely token (after bias and penalties). */
    public static SamplingParams greedy() {
        return DEFAULTS.withTemperature(0.0);
    }

    /** Whether {@link #temperature} asks for greedy decoding. */
    public boolean isGreedy() {
        return temperature <= 0.0;
    }

    /** Whether the repetition, presence and frequency penalties do anything (llama.cpp's {@code is_disabled}). */
    public boolean penaltiesEnabled() {
        return repeatLastN != 0 && (repeatPenalty != 1.0 || frequencyPenalty != 0.0 || presencePenalty != 0.0);
    }

    public SamplingParams withTemperature(double value) {
        return new SamplingParams(value, topK, topP, minP, minKeep, repeatPenalty, repeatLastN, presencePenalty,
                frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withTopK(int value) {
        return new SamplingParams(temperature, value, topP, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withTopP(double value) {
        return new SamplingParams(temperature, topK, value, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withMinP(double value) {
        return new SamplingParams(temperature, topK, topP, value, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withMinKeep(int value) {
        return new SamplingParams(temperature, topK, topP, minP, value, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withRepeatPenalty(double value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, value, repeatLastN, presencePenalty,
                frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withRepeatLastN(int value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, value, presencePenalty,
                frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withPresencePenalty(double value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, repeatLastN, value,
                frequencyPenalty, logitBias, seed, topLogprobs);
    }

    public SamplingParams withFrequencyPenalty(double value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, value, logitBias, seed, topLogprobs);
    }

    public SamplingParams withLogitBias(Map<Integer, Double> value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, value, seed, topLogprobs);
    }

    public SamplingParams withSeed(long value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, value, topLogprobs);
    }

    public SamplingParams withTopLogprobs(int value) {
        return new SamplingParams(temperature, topK, topP, minP, minKeep, repeatPenalty, repeatLastN,
                presencePenalty, frequencyPenalty, logitBias, seed, value);
    }
}
