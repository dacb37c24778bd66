package dev.edgelm.generate;

import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to generate.
 *
 * @param prompt       the prompt's token ids (with BOS if the model wants one); at least one token
 * @param sampling     how to pick each token
 * @param maxTokens    the most tokens to generate
 * @param stopStrings  texts that end the generation when they appear in it (they are cut from the result)
 * @param cancellation set by another thread to stop early
 * @param ignoreEndOfGeneration keep generating past end-of-generation tokens (benchmarks, tests), as llama.cpp's
 *                     {@code --ignore-eos}; under a grammar they are then never generated
 * @param grammar      a grammar the generated text must follow, or empty: only tokens that keep the text a valid
 *                     prefix are sampled, end-of-generation tokens only once it is a complete sentence, and the
 *                     generation ends ({@link StopReason#GRAMMAR_COMPLETE}) as soon as nothing can follow it
 */
public record GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stopStrings,
        Cancellation cancellation, boolean ignoreEndOfGeneration, Optional<Grammar> grammar) {

    /** Validates and copies. */
    public GenerationRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token (start from BOS for none)");
        }
        prompt = prompt.clone();
        Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must not be negative, got " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("stop strings must not be empty");
        }
        Objects.requireNonNull(cancellation, "cancellation");
        Objects.requireNonNull(grammar, "grammar");
    }

    /** A request with no grammar. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stopStrings,
            Cancellation cancellation, boolean ignoreEndOfGeneration) {
        this(prompt, sampling, maxTokens, stopStrings, cancellation, ignoreEndOfGeneration, Optional.empty());
    }

    /** A request that ends at the model's end-of-generation tokens. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stopStrings,
            Cancellation cancellation) {
        this(prompt, sampling, maxTokens, stopStrings, cancellation, false);
    }

    /** This request, generating past end-of-generation tokens. */
    public GenerationRequest withIgnoredEndOfGeneration() {
        return new GenerationRequest(prompt, sampling, maxTokens, stopStrings, cancellation, true, grammar);
    }

    /** This request, with its output constrained to follow {@code grammar}. */
    public GenerationRequest withGrammar(Grammar grammar) {
        return new GenerationRequest(prompt, sampling, maxTokens, stopStrings, cancellation, ignoreEndOfGeneration,
                Optional.of(grammar));
    }

    /** A request with no stop strings that nobody cancels. */
    public static GenerationRequest of(int[] prompt, SamplingParams sampling, int maxTokens) {
        return new GenerationRequest(prompt, sampling, maxTokens, List.of(), new Cancellation());
    }

    /** The prompt's token ids (a copy). */
    @Override
    public int[] prompt() {
        return prompt.clone();
    }
}
