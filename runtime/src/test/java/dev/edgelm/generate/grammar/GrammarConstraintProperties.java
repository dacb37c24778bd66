package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.generate.sampling.Sampler;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.tokenizer.TokenType;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Constrained sampling under adversarial logits: random grammars (and JSON, nested brackets, multi-byte
 * characters) on real vocabularies, with logits that favour disallowed tokens, end-of-generation tokens, control
 * tokens and tokens that end inside a character, under random sampling settings. Every sampled token must be in
 * the allowed set of its step, every prefix must be a valid prefix, and every completed output a sentence.
 */
class GrammarConstraintProperties {
    private static final long SEED = 0x5EED_0006L;
    private static final List<String> FIXED = List.of(GrammarFixtures.JSON, GrammarConstraintTest.UNICODE,
            "root ::= item+\nitem ::= \"(\" item* \")\" | [a-z] | \"é\"");

    @Test
    void everyCompletedOutputIsASentenceAndNoDisallowedTokenIsEverSampled() {
        SplittableRandom seeds = new SplittableRandom(SEED);
        int completed = 0;
        int runs = 0;
        for (String vocabulary : GrammarFixtures.VOCABULARIES) {
            Tokenizer tokenizer = GrammarFixtures.tokenizer(vocabulary);
            Favoured favoured = new Favoured(tokenizer);
            for (int n = 0; n < 60; n++) {
                long seed = seeds.nextLong();
                SplittableRandom random = new SplittableRandom(seed);
                String gbnf = random.nextInt(3) == 0 ? FIXED.get(random.nextInt(FIXED.size()))
                        : RandomGrammar.generate(random, 10).gbnf();
                if (run(tokenizer, Grammar.parse(gbnf), favoured, random, "seed " + seed + ", " + vocabulary
                        + ", grammar:\n" + gbnf)) {
                    completed++;
                }
                runs++;
            }
        }
        // Most runs must end in a complete sentence, or the test would check little.
        assertThat(completed).as("completed runs of %d", runs).isGreaterThan(runs / 2);
    }

    /** One generation of at most 48 tokens; whether it completed. */
    private static boolean run(Tokenizer tokenizer, Grammar grammar, Favoured favoured, SplittableRandom random,
            String where) {
        GrammarConstraint constraint = new GrammarConstraint(grammar, tokenizer);
        Sampler sampler = new Sampler(params(random), tokenizer.vocabularySize());
        float[] logits = new float[tokenizer.vocabularySize()];
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        List<Integer> tokens = new ArrayList<>();
        for (int step = 0; step < 48; step++) {
            if (constraint.isComplete()) {
                break;
            }
            adversarial(random, favoured, logits);
            BitSet allowed = constraint.allowedTokens();
            int token = constraint.sampleNext(sampler, logits);
            sampler.accept(token);
            tokens.add(token);
            assertThat(allowed.get(token)).as("%s%nsampled %d after %s", where, token, tokens).isTrue();
            if (tokenizer.isEndOfGeneration(token)) {
                assertThat(grammar.accepts(decode(text))).as("%s%nended after %s", where, tokens).isTrue();
                return true;
            }
            text.writeBytes(tokenizer.tokenBytes(token));
            String complete = decode(text);
            if (complete.indexOf('\uFFFD') < 0) {
                assertThat(grammar.acceptsPrefix(complete)).as("%s%nprefix after %s", where, tokens).isTrue();
            }
        }
        if (constraint.isComplete()) {
            assertThat(grammar.accepts(decode(text))).as("%s%ncomplete after %s", where, tokens).isTrue();
            return true;
        }
        return false;
    }

    private static String decode(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static SamplingParams params(SplittableRandom random) {
        if (random.nextInt(4) == 0) {
            return SamplingParams.greedy();
        }
        SamplingParams params = SamplingParams.defaults().withSeed(random.nextLong() & Long.MAX_VALUE)
                .withTemperature(random.nextDouble(0.3, 2.0))
                .withTopK(random.nextBoolean() ? 0 : 40)
                .withTopP(random.nextBoolean() ? 1.0 : 0.9)
                .withMinP(random.nextBoolean() ? 0.0 : 0.05);
        return random.nextBoolean() ? params : params.withRepeatPenalty(1.3);
    }

    /** Gaussian logits, plus a large boost for one kind of token the constraint must resist. */
    private static void adversarial(SplittableRandom random, Favoured favoured, float[] logits) {
        double scale = random.nextDouble(0.5, 5);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * scale);
        }
        int[] boosted = switch (random.nextInt(5)) {
            case 0 -> favoured.endOfGeneration;
            case 1 -> favoured.control;
            case 2 -> favoured.splitting;
            case 3 -> random.ints(64, 0, logits.length).toArray();
            default -> new int[0];
        };
        for (int t : boosted) {
            logits[t] += 30;
        }
    }

    /** Tokens worth favouring: end-of-generation, control, and those whose bytes end inside a character. */
    private record Favoured(int[] endOfGeneration, int[] control, int[] splitting) {
        Favoured(Tokenizer tokenizer) {
            this(IntStream.range(0, tokenizer.vocabularySize()).filter(tokenizer::isEndOfGeneration).toArray(),
                    IntStream.range(0, tokenizer.vocabularySize())
                            .filter(t -> tokenizer.tokenType(t) == TokenType.CONTROL).toArray(),
                    IntStream.range(0, tokenizer.vocabularySize()).filter(t -> {
                        byte[] b = tokenizer.tokenBytes(t);
                        return b.length > 0 && (b[b.length - 1] & 0xC0) != 0 && (b[b.length - 1] & 0xFF) >= 0x80;
                    }).toArray());
        }
    }
}
