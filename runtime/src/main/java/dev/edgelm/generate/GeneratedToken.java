package dev.edgelm.generate;

import dev.edgelm.generate.sampling.TokenLogprobs;

/**
 * One generated token as it is streamed.
 *
 * @param id       the token id
 * @param text     the text this token releases: the characters it completes, less anything held back because it
 *                 may be the start of a stop string (so it may be empty, or carry text held back earlier)
 * @param logprobs its log-probability and the top candidates, or null when they were not asked for
 */
public record GeneratedToken(int id, String text, TokenLogprobs logprobs) {}
