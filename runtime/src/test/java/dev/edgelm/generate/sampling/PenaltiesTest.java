package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.edgelm.generate.sampling.Reference.SEED;
import static dev.edgelm.generate.sampling.Reference.plain;
import static org.assertj.core.api.Assertions.assertThat;

/** Repetition, frequency and presence penalties, and logit bias. */
class PenaltiesTest {

    @Test
    void penaltiesChangeExactlyTheTokensInTheWindow() {
        float[] logits = {1f, 2f, -1f, 0f, 4f, -3f, 0.5f, 6f};
        SamplingParams params = plain(1).withRepeatPenalty(2.0).withRepeatLastN(4).withFrequencyPenalty(0.25)
                .withPresencePenalty(0.5);
        Sampler sampler = new Sampler(params, logits.length);
        for (int token : new int[] {7, 1, 2, 2, 3, 5, 5}) { // the window is the last four: 2, 3, 5, 5
            sampler.accept(token);
        }
        float[] adjusted = sampler.adjustedLogits(logits);
        assertThat(adjusted).containsExactly(
                1f,                          // never seen
                2f,                          // left the window
                -1f * 2 - (0.25f + 0.5f),    // negative: multiplied; once
                0f * 2 - (0.25f + 0.5f),     // zero stays zero under the multiplication
                4f,
                -3f * 2 - (2 * 0.25f + 0.5f), // twice: frequency counts both, presence once
                0.5f,
                6f);                         // left the window
    }

    @Test
    void aPositiveLogitIsDividedByTheRepeatPenalty() {
        Sampler sampler = new Sampler(plain(1).withRepeatPenalty(1.25), 3);
        sampler.accept(0);
        sampler.accept(0);
        assertThat(sampler.adjustedLogits(new float[] {5f, 5f, -5f})).containsExactly(4f, 5f, -5f);
    }

    @Test
    void aWindowOfMinusOneCoversEveryAcceptedTokenAndZeroTurnsThePenaltiesOff() {
        float[] logits = {1f, 1f, 1f, 1f};
        Sampler all = new Sampler(plain(1).withFrequencyPenalty(1.0).withRepeatLastN(-1), 4);
        Sampler off = new Sampler(plain(1).withFrequencyPenalty(1.0).withRepeatLastN(0), 4);
        for (int i = 0; i < 500; i++) {
            all.accept(i % 3);
            off.accept(i % 3);
        }
        assertThat(all.adjustedLogits(logits)).containsExactly(1f - 167, 1f - 167, 1f - 166, 1f);
        assertThat(off.adjustedLogits(logits)).containsExactly(logits);
    }

    @Test
    void penaltiesMatchTheDefinitionOnSeededRandomHistories() {
        SplittableRandom random = new SplittableRandom(SEED + 21);
        for (int round = 0; round < 200; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 300);
            float[] logits = Reference.randomLogits(r, n);
            int lastN = r.nextInt(-1, 40);
            float repeat = (float) r.nextDouble(0.5, 2.0);
            float frequency = (float) r.nextDouble(-1, 1);
            float presence = (float) r.nextDouble(-1, 1);
            Sampler sampler = new Sampler(plain(caseSeed).withRepeatPenalty(repeat).withRepeatLastN(lastN)
                    .withFrequencyPenalty(frequency).withPresencePenalty(presence), n);
            int[] history = new int[r.nextInt(0, 100)];
            for (int i = 0; i < history.length; i++) {
                history[i] = r.nextInt(Math.min(n, 1 + r.nextInt(20))); // repeats are common
                sampler.accept(history[i]);
            }
            int from = lastN < 0 ? 0 : Math.max(0, history.length - lastN);
            int[] counts = new int[n];
            for (int i = from; i < history.length; i++) {
                counts[history[i]]++;
            }
            float[] expected = logits.clone();
            for (int t = 0; t < n; t++) {
                if (counts[t] > 0 && lastN != 0) {
                    float l = expected[t] <= 0 ? expected[t] * repeat : expected[t] / repeat;
                    expected[t] = l - (counts[t] * frequency + presence);
                }
            }
            assertThat(sampler.adjustedLogits(logits))
                    .as("case seed %d (n %d, last_n %d, history %s)", caseSeed, n, lastN, Arrays.toString(history))
                    .containsExactly(expected);
        }
    }

    @Test
    void penaltiesSteerGreedyDecodingAwayFromRepeats() {
        float[] logits = {3f, 2.5f, 1f};
        Sampler sampler = new Sampler(SamplingParams.greedy().withRepeatPenalty(1.5), 3);
        int first = sampler.sample(logits);
        sampler.accept(first);
        int second = sampler.sample(logits);
        assertThat(first).isZero();
        assertThat(second).isEqualTo(1); // 3 / 1.5 = 2 < 2.5
    }

    @Test
    void aBiasOfMinusInfinityBansAToken() {
        float[] logits = {1f, 5f, 4.5f, 0f};
        Map<Integer, Double> ban = Map.of(1, Double.NEGATIVE_INFINITY);
        assertThat(new Sampler(SamplingParams.greedy().withLogitBias(ban), 4).sample(logits)).isEqualTo(2);
        Sampler sampler = new Sampler(plain(SEED).withTemperature(5.0).withLogitBias(ban), 4);
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(logits)]++;
        }
        assertThat(counts[1]).isZero();
        assertThat(counts[0]).isPositive();
        assertThat(counts[2]).isPositive();
        assertThat(counts[3]).isPositive();
    }

    @Test
    void aBiasIsAddedBeforeThePenalties() {
        Map<Integer, Double> bias = new HashMap<>();
        bias.put(0, 2.0);
        bias.put(2, -0.5);
        Sampler sampler = new Sampler(plain(1).withLogitBias(bias).withRepeatPenalty(2.0), 3);
        sampler.accept(0);
        // token 0: (1 + 2) / 2; token 2: 0 - 0.5, not in the window
        assertThat(sampler.adjustedLogits(new float[] {1f, 1f, 0f})).containsExactly(1.5f, 1f, -0.5f);
        assertThat(new Sampler(SamplingParams.greedy().withLogitBias(Map.of(2, 10.0)), 3)
                .sample(new float[] {1f, 1f, 0f})).isEqualTo(2);
    }
}
