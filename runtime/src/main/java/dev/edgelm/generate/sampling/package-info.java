/**
 * Choosing each generated token from the model's logits, with llama.cpp's sampler semantics so that settings and
 * results compare with the peer: greedy, temperature, top-k, top-p, min-p, repetition/presence/frequency penalties,
 * logit bias, a seed, and the top log-probabilities of each sampled token.
 *
 * <p>{@link dev.edgelm.generate.sampling.SamplingParams} is the immutable, validated configuration (llama.cpp's
 * defaults); a {@link dev.edgelm.generate.sampling.Sampler} is made from it per generation and holds the state:
 * the random generator, the accepted tokens for the penalties, and reusable buffers. Stop strings and the token
 * limit belong to the generation loop, not here.
 */
package dev.edgelm.generate.sampling;
