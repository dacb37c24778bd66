package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.edgelm.generate.sampling.Sampler;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Token-level constrained decoding of random JSON Schemas with random, adversarial logits on a real vocabulary:
 * every generation that completes is JSON that the validator accepts. Reproduce with {@code -Djsonschema.seed=SEED}.
 */
class JsonSchemaConstraintProperties {
    private static final int SCHEMAS = Integer.getInteger("jsonschema.constrained", 60);
    private static final int MAX_TOKENS = 200;

    @Test
    void everyCompletedGenerationValidates() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        Tokenizer tokenizer = GrammarFixtures.tokenizer("ggml-vocab-qwen2.gguf");
        int[] closing = IntStream.range(0, tokenizer.vocabularySize()).filter(t -> {
            String text = new String(tokenizer.tokenBytes(t), StandardCharsets.UTF_8);
            return !text.isEmpty() && text.chars().allMatch(c -> "\"}],0".indexOf(c) >= 0);
        }).toArray();
        int completed = 0;
        for (int i = 0; i < SCHEMAS; i++) {
            RandomSchemas.Case schema = new RandomSchemas(new SplittableRandom(random.nextLong())).next();
            String text = generate(Grammar.parse(JsonSchemaGrammar.toGbnf(schema.schema())), tokenizer, closing,
                    random);
            if (text != null) {
                completed++;
                try {
                    assertThat(new SchemaValidator(schema.schema()).errors(text)).as("generated %s", text).isEmpty();
                } catch (AssertionError | RuntimeException e) {
                    fail("seed " + seed + ", schema " + i + " (-Djsonschema.seed=" + seed + "): " + e.getMessage()
                            + "\nschema: " + schema.schema(), e);
                }
            }
        }
        System.out.printf("JSON Schema constrained decoding: seed %d, %d of %d generations completed%n", seed,
                completed, SCHEMAS);
        assertThat(completed).as("completed generations").isGreaterThan(SCHEMAS / 4);
    }

    /** One generation under adversarial logits; its text when the value completed within the token limit. */
    private static String generate(Grammar grammar, Tokenizer tokenizer, int[] closing, SplittableRandom random) {
        GrammarConstraint constraint = new GrammarConstraint(grammar, tokenizer);
        SamplingParams params = random.nextInt(3) == 0 ? SamplingParams.greedy()
                : SamplingParams.defaults().withSeed(random.nextLong() & Long.MAX_VALUE)
                        .withTemperature(random.nextDouble(0.3, 2.0));
        Sampler sampler = new Sampler(params, tokenizer.vocabularySize());
        float[] logits = new float[tokenizer.vocabularySize()];
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int step = 0; step < MAX_TOKENS && !constraint.isComplete(); step++) {
            for (int t = 0; t < logits.length; t++) {
                logits[t] = (float) random.nextGaussian() * 3;
            }
            // Push towards closing quotes and brackets half the time (so that values end), else anywhere.
            int[] boosted = random.nextBoolean() ? closing : random.ints(64, 0, logits.length).toArray();
            for (int t : boosted) {
                logits[t] += 20;
            }
            int token = constraint.sampleNext(sampler, logits); // accepted by the constraint too
            sampler.accept(token);
            if (tokenizer.isEndOfGeneration(token)) {
                return text.toString(StandardCharsets.UTF_8);
            }
            text.writeBytes(tokenizer.tokenBytes(token));
        }
        return constraint.isComplete() ? text.toString(StandardCharsets.UTF_8) : null;
    }
}
