package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.edgelm.generate.sampling.Reference.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** The top log-probabilities reported for each sampled token: the raw model distribution. */
class LogprobsTest {

    @Test
    void noLogprobsUnlessAsked() {
        Sampler sampler = new Sampler(SamplingParams.defaults().withSeed(1), 4);
        sampler.sample(new float[] {1f, 2f, 3f, 4f});
        assertThat(sampler.lastLogprobs()).isNull();
        assertThat(new Sampler(SamplingParams.defaults().withTopLogprobs(2), 4).lastLogprobs()).isNull();
    }

    @Test
    void topLogprobsAreTheSortedLogSoftmaxOfTheRawLogits() {
        SplittableRandom random = new SplittableRandom(SEED + 31);
        for (int round = 0; round < 200; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 3000);
            float[] logits = Reference.randomLogits(r, n);
            int k = r.nextInt(1, 25);
            SamplingParams params = SamplingParams.defaults().withSeed(caseSeed).withTopLogprobs(k)
                    .withTemperature(r.nextBoolean() ? 0.0 : r.nextDouble(0.1, 2.0))
                    .withRepeatPenalty(1.3).withFrequencyPenalty(0.2);
            Sampler sampler = new Sampler(params, n);
            for (int i = 0; i < 5; i++) {
                sampler.accept(r.nextInt(n));
            }
            int token = sampler.sample(logits);
            TokenLogprobs result = sampler.lastLogprobs();
            String context = String.format("case seed %d (n %d, k %d)", caseSeed, n, k);
            double[] expected = Reference.logSoftmax(logits);
            int[] ranking = Reference.ranking(logits);
            int[] expectedIds = Arrays.copyOf(ranking, Math.min(k, ranking.length));

            assertThat(result.token()).as(context).isEqualTo(token);
            assertThat(result.logprob()).as(context).isCloseTo(expected[token], offset(1e-6));
            List<TokenLogprobs.Candidate> top = result.top();
            assertThat(top.stream().mapToInt(TokenLogprobs.Candidate::token).toArray()).as(context)
                    .containsExactly(expectedIds);
            double mass = 0;
            for (int i = 0; i < top.size(); i++) {
                double lp = top.get(i).logprob();
                assertThat(lp).as(context).isCloseTo(expected[top.get(i).token()], offset(1e-6)).isLessThanOrEqualTo(0);
                if (i > 0) {
                    assertThat(lp).as(context + ": sorted").isLessThanOrEqualTo(top.get(i - 1).logprob());
                }
                mass += Math.exp(lp);
            }
            assertThat(mass).as(context + ": sum of exp").isLessThanOrEqualTo(1 + 1e-9);
            if (k >= ranking.length) {
                assertThat(mass).as(context + ": the whole distribution").isCloseTo(1.0, offset(1e-6));
            }
        }
    }

    @Test
    void logprobsIgnoreBiasPenaltiesTruncationAndTemperature() {
        float[] logits = {2f, 1f, 0f, -1f};
        double[] expected = Reference.logSoftmax(logits);
        Sampler sampler = new Sampler(SamplingParams.defaults().withSeed(5).withTopLogprobs(4).withTopK(1)
                .withTemperature(0.3).withLogitBias(Map.of(0, Double.NEGATIVE_INFINITY)).withFrequencyPenalty(2.0), 4);
        sampler.accept(1);
        int token = sampler.sample(logits);
        assertThat(token).isEqualTo(2); // 0 is banned, 1 is penalised to 1 - 2, top-k 1 keeps 2
        TokenLogprobs result = sampler.lastLogprobs();
        assertThat(result.logprob()).isCloseTo(expected[2], offset(1e-6));
        assertThat(result.top()).extracting(TokenLogprobs.Candidate::token).containsExactly(0, 1, 2, 3);
        for (TokenLogprobs.Candidate c : result.top()) {
            assertThat(c.logprob()).isCloseTo(expected[c.token()], offset(1e-6));
        }
    }

    @Test
    void askingForMoreThanTheVocabularyListsEveryFiniteToken() {
        float[] logits = {0f, Float.NEGATIVE_INFINITY, 0f};
        Sampler sampler = new Sampler(SamplingParams.greedy().withTopLogprobs(10), 3);
        assertThat(sampler.sample(logits)).isZero();
        TokenLogprobs result = sampler.lastLogprobs();
        assertThat(result.top()).containsExactly(new TokenLogprobs.Candidate(0, Math.log(0.5)),
                new TokenLogprobs.Candidate(2, Math.log(0.5)));
        assertThat(result.logprob()).isEqualTo(Math.log(0.5));
    }

    @Test
    void logprobsAreStableForLargeLogits() {
        float[] logits = {10_000f, 9_999f, -10_000f};
        Sampler sampler = new Sampler(SamplingParams.greedy().withTopLogprobs(3), 3);
        sampler.sample(logits);
        List<TokenLogprobs.Candidate> top = sampler.lastLogprobs().top();
        double lse = Math.log(1 + Math.exp(-1));
        assertThat(top.get(0).logprob()).isCloseTo(-lse, offset(1e-9));
        assertThat(top.get(1).logprob()).isCloseTo(-1 - lse, offset(1e-9));
        assertThat(top.get(2).logprob()).isCloseTo(-20_000 - lse, offset(1e-6));
    }
}
