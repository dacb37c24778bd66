package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

import static dev.edgelm.generate.sampling.Reference.SEED;
import static dev.edgelm.generate.sampling.Reference.plain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Greedy decoding, seeds, the drawn frequencies, and the errors of {@link Sampler}. */
class SamplerTest {

    @Test
    void greedyIsTheArgmaxOfSeededRandomLogits() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 300; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 3000);
            float[] logits = Reference.randomLogits(r, n);
            SamplingParams params = SamplingParams.greedy().withTemperature(-r.nextDouble(0, 2)).withSeed(caseSeed);
            assertThat(new Sampler(params, n).sample(logits)).as("case seed %d", caseSeed)
                    .isEqualTo(Reference.argmax(logits));
        }
    }

    @Test
    void greedyBreaksTiesToTheLowestId() {
        Sampler sampler = new Sampler(SamplingParams.greedy(), 5);
        assertThat(sampler.sample(new float[] {1f, 4f, 2f, 4f, 4f})).isEqualTo(1);
        assertThat(sampler.sample(new float[] {7f, 7f, 7f, 7f, 7f})).isEqualTo(0);
        assertThat(sampler.sample(new float[] {Float.NEGATIVE_INFINITY, -3f, -3f, -4f, -9f})).isEqualTo(1);
    }

    @Test
    void greedyIgnoresTheSeedAndTheTruncationSettings() {
        float[] logits = {0.5f, 2f, -1f, 1.9f};
        for (long seed = 0; seed < 5; seed++) {
            SamplingParams params = SamplingParams.greedy().withSeed(seed).withTopK(1).withTopP(0.1).withMinP(0.9);
            assertThat(new Sampler(params, 4).sample(logits)).isEqualTo(1);
        }
    }

    @Test
    void aTemperatureNearZeroPicksTheArgmax() {
        SplittableRandom random = new SplittableRandom(SEED + 7);
        for (int round = 0; round < 50; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(2, 500);
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                logits[i] = (float) (r.nextGaussian() * 3);
            }
            int best = Reference.argmax(logits);
            float second = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (i != best) {
                    second = Math.max(second, logits[i]);
                }
            }
            logits[best] = Math.max(logits[best], second + 0.25f); // a clear winner
            Sampler sampler = new Sampler(plain(caseSeed).withTemperature(1e-3), n);
            for (int draw = 0; draw < 200; draw++) {
                assertThat(sampler.sample(logits)).as("case seed %d, draw %d", caseSeed, draw).isEqualTo(best);
            }
        }
    }

    @Test
    void theArgmaxGetsMoreLikelyAsTheTemperatureFalls() {
        float[] logits = {1f, 1.5f, 0.2f, -0.3f, 1.2f};
        double previous = 0;
        for (double temperature : new double[] {2.0, 1.0, 0.5, 0.2, 0.05}) {
            Sampler sampler = new Sampler(plain(SEED).withTemperature(temperature), logits.length);
            int hits = 0;
            int draws = 20_000;
            for (int i = 0; i < draws; i++) {
                if (sampler.sample(logits) == 1) {
                    hits++;
                }
            }
            double share = hits / (double) draws;
            double expected = Reference.softmax(logits, temperature)[1];
            assertThat(share).as("temperature %s", temperature).isCloseTo(expected,
                    org.assertj.core.data.Offset.offset(0.02));
            assertThat(share).as("temperature %s", temperature).isGreaterThan(previous);
            previous = share;
        }
        assertThat(previous).isGreaterThan(0.99);
    }

    @Test
    void theSameSeedGivesTheSameSequenceAndOtherSeedsDiffer() {
        SplittableRandom r = new SplittableRandom(SEED);
        int n = 1000;
        float[][] steps = new float[300][];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = Reference.randomLogits(r, n);
            for (int j = 0; j < n; j++) {
                steps[i][j] = steps[i][j] == Float.NEGATIVE_INFINITY ? steps[i][j] : steps[i][j] * 0.1f;
            }
        }
        SamplingParams params = SamplingParams.defaults().withTopK(0).withRepeatPenalty(1.2).withTopLogprobs(3);
        int[] a = run(params.withSeed(1234), steps);
        int[] b = run(params.withSeed(1234), steps);
        int[] c = run(params.withSeed(1235), steps);
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
        long differing = java.util.stream.IntStream.range(0, a.length).filter(i -> a[i] != c[i]).count();
        assertThat(differing).as("positions where seeds 1234 and 1235 differ").isGreaterThan(a.length / 4);
    }

    @Test
    void aChosenRandomSeedIsReportedAndReproducesTheRun() {
        Sampler first = new Sampler(SamplingParams.defaults(), 50);
        assertThat(first.seed()).isNotNegative();
        SplittableRandom r = new SplittableRandom(SEED);
        float[][] steps = new float[100][];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = Reference.randomLogits(r, 50);
        }
        int[] original = new int[steps.length];
        for (int i = 0; i < steps.length; i++) {
            original[i] = first.sample(steps[i]);
        }
        assertThat(run(SamplingParams.defaults().withSeed(first.seed()), steps)).containsExactly(original);
    }

    private static int[] run(SamplingParams params, float[][] steps) {
        Sampler sampler = new Sampler(params, steps[0].length);
        int[] tokens = new int[steps.length];
        for (int i = 0; i < steps.length; i++) {
            tokens[i] = sampler.sample(steps[i]);
            sampler.accept(tokens[i]);
        }
        return tokens;
    }

    @Test
    void drawnFrequenciesMatchTheSoftmax() {
        float[] logits = {2.0f, 1.5f, 1.0f, 0.5f, 0.0f, -0.5f, -1.0f, -3.0f};
        assertFrequencies(plain(SEED), logits, Reference.softmax(logits, 1.0));
        assertFrequencies(plain(SEED + 1).withTemperature(0.7), logits, Reference.softmax(logits, 0.7));
        assertFrequencies(plain(SEED + 2).withTemperature(1.6), logits, Reference.softmax(logits, 1.6));
    }

    @Test
    void drawnFrequenciesMatchTheTruncatedSoftmax() {
        float[] logits = {0.3f, 2.0f, -1.0f, 1.5f, 1.0f, -3.0f, 0.5f, 0.0f};
        // top-k 5 keeps ids 1, 3, 4, 6, 0; at temperature 0.8 the draw follows their renormalised softmax
        float[] kept = {0.3f, 2.0f, Float.NEGATIVE_INFINITY, 1.5f, 1.0f, Float.NEGATIVE_INFINITY,
            0.5f, Float.NEGATIVE_INFINITY};
        assertFrequencies(plain(SEED).withTopK(5).withTemperature(0.8), logits, Reference.softmax(kept, 0.8));
        // min-p 0.2 keeps p >= 0.2 * p_max, i.e. logit >= 2 + ln 0.2 = 0.39: ids 1, 3, 4, 6
        float[] minP = {Float.NEGATIVE_INFINITY, 2.0f, Float.NEGATIVE_INFINITY, 1.5f, 1.0f,
            Float.NEGATIVE_INFINITY, 0.5f, Float.NEGATIVE_INFINITY};
        assertFrequencies(plain(SEED + 3).withMinP(0.2), logits, Reference.softmax(minP, 1.0));
    }

    /**
     * Pearson's chi-square of 200,000 draws against the expected probabilities, bounded at 40 (for up to 7 degrees
     * of freedom a correct sampler exceeds that with probability below 1e-5; the seed is fixed, so the test is
     * deterministic), and each frequency within 0.01 of its probability.
     */
    private static void assertFrequencies(SamplingParams params, float[] logits, double[] expected) {
        assertFrequencies(params, logits, null, expected);
    }

    /** As {@link #assertFrequencies(SamplingParams, float[], double[])}, drawing among {@code allowed} only. */
    private static void assertFrequencies(SamplingParams params, float[] logits, BitSet allowed, double[] expected) {
        int draws = 200_000;
        long[] counts = new long[logits.length];
        Sampler sampler = new Sampler(params, logits.length);
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits, allowed)]++;
        }
        double chiSquare = 0;
        for (int i = 0; i < logits.length; i++) {
            double e = expected[i] * draws;
            if (e == 0) {
                assertThat(counts[i]).as("token %d is excluded (seed %d)", i, params.seed()).isZero();
                continue;
            }
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
            assertThat(counts[i] / (double) draws).as("frequency of token %d (seed %d)", i, params.seed())
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(0.01));
        }
        assertThat(chiSquare).as("chi-square of %s over %s (seed %d)", Arrays.toString(counts),
                Arrays.toString(expected), params.seed()).isLessThan(40.0);
    }

    @Test
    void onlyAllowedTokensAreDrawnInProportionToTheirSoftmax() {
        float[] logits = {3.0f, 1.5f, 1.0f, 2.5f, 0.0f, -0.5f, 4.0f, -3.0f};
        BitSet allowed = new BitSet();
        allowed.set(1);
        allowed.set(2);
        allowed.set(4);
        allowed.set(7);
        float[] kept = {Float.NEGATIVE_INFINITY, 1.5f, 1.0f, Float.NEGATIVE_INFINITY, 0.0f, Float.NEGATIVE_INFINITY,
            Float.NEGATIVE_INFINITY, -3.0f};
        assertFrequencies(plain(SEED + 4).withTemperature(0.9), logits, allowed, Reference.softmax(kept, 0.9));
        // Truncation works among the allowed tokens: top-k 2 keeps 1 and 2 although 6, 0 and 3 rank higher.
        float[] topTwo = {Float.NEGATIVE_INFINITY, 1.5f, 1.0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertFrequencies(plain(SEED + 5).withTopK(2), logits, allowed, Reference.softmax(topTwo, 1.0));
    }

    @Test
    void greedyAmongAllowedTokensIsTheirArgmaxAndLogprobsStayThoseOfTheRawLogits() {
        float[] logits = {3.0f, 1.5f, 1.0f, 2.5f};
        BitSet allowed = new BitSet();
        allowed.set(1, 3);
        Sampler sampler = new Sampler(SamplingParams.greedy().withTopLogprobs(2), 4);
        assertThat(sampler.sample(logits, allowed)).isEqualTo(1);
        assertThat(sampler.lastLogprobs().top()).extracting(TokenLogprobs.Candidate::token).containsExactly(0, 3);
        assertThat(sampler.sample(logits, null)).isEqualTo(0);
        assertThatThrownBy(() -> sampler.sample(logits, new BitSet()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("all 4 logits are -Infinity");
    }

    @Test
    void theCallersLogitsAreNotChanged() {
        float[] logits = {0.1f, 0.7f, -2f, 3f, 1f};
        float[] copy = logits.clone();
        Sampler sampler = new Sampler(plain(1).withRepeatPenalty(1.5).withFrequencyPenalty(0.5).withTopK(2)
                .withLogitBias(java.util.Map.of(3, -1.0)).withTopLogprobs(2), 5);
        sampler.accept(3);
        sampler.accept(1);
        sampler.sample(logits);
        new Sampler(SamplingParams.greedy().withLogitBias(java.util.Map.of(0, 2.0)), 5).sample(logits);
        assertThat(logits).containsExactly(copy);
    }

    @Test
    void errorsNameTheProblem() {
        Sampler sampler = new Sampler(plain(1), 3);
        assertThatThrownBy(() -> sampler.sample(new float[4])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 3 logits (the vocabulary size), got 4");
        assertThatThrownBy(() -> sampler.sample(new float[] {0f, Float.NaN, 1f}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logit of token 1 is NaN (logits must be finite or -Infinity)");
        assertThatThrownBy(() -> sampler.sample(new float[] {0f, 1f, Float.POSITIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 2 is Infinity");
        float[] none = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertThatThrownBy(() -> sampler.sample(none)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("all 3 logits are -Infinity");
        assertThatThrownBy(() -> new Sampler(SamplingParams.defaults(), 3).sample(none))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all 3 logits are -Infinity");
        assertThatThrownBy(() -> new Sampler(SamplingParams.greedy(), 3).sample(none))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all 3 logits are -Infinity");
        assertThatThrownBy(() -> sampler.accept(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token 3 is out of range for a vocabulary of 3 tokens");
        assertThatThrownBy(() -> sampler.accept(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampler(SamplingParams.defaults(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vocabulary size must be > 0, got 0");
        assertThatThrownBy(() -> new Sampler(null, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampler(SamplingParams.defaults().withLogitBias(java.util.Map.of(3, 1.0)), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logit_bias token 3 is out of range for a vocabulary of 3 tokens");
    }

    @Test
    void aOneTokenVocabularyAlwaysGivesThatToken() {
        Sampler sampler = new Sampler(SamplingParams.defaults().withSeed(3), 1);
        for (int i = 0; i < 10; i++) {
            assertThat(sampler.sample(new float[] {(float) i - 5})).isZero();
        }
    }
}
