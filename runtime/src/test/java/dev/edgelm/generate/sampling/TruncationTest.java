package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.edgelm.generate.sampling.Reference.SEED;
import static dev.edgelm.generate.sampling.Reference.plain;
import static org.assertj.core.api.Assertions.assertThat;

/** Top-k, top-p and min-p: which candidates survive, on hand-made and on seeded random logits. */
class TruncationTest {

    @Test
    void topKKeepsExactlyTheKBest() {
        float[] logits = {0.3f, 2.0f, -1.0f, 1.5f, 1.0f, -3.0f, 0.5f, 1.5f};
        assertThat(kept(plain(1).withTopK(3), logits)).containsExactly(1, 3, 7);
        assertThat(kept(plain(1).withTopK(1), logits)).containsExactly(1);
        assertThat(kept(plain(1).withTopK(8), logits)).containsExactly(1, 3, 7, 4, 6, 0, 2, 5);
        assertThat(kept(plain(1).withTopK(100), logits)).hasSize(8);
        assertThat(kept(plain(1).withTopK(0), logits)).hasSize(8);
    }

    @Test
    void topKMatchesAFullSortOnSeededRandomLogits() {
        SplittableRandom random = new SplittableRandom(SEED + 11);
        for (int round = 0; round < 300; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 4000);
            float[] logits = Reference.randomLogits(r, n);
            int k = r.nextInt(1, 100);
            int[] ranking = Reference.ranking(logits);
            assertThat(kept(plain(caseSeed).withTopK(k), logits)).as("case seed %d (n %d, k %d)", caseSeed, n, k)
                    .containsExactly(Arrays.copyOf(ranking, Math.min(k, ranking.length)));
        }
    }

    @Test
    void bannedTokensAreNeverCandidates() {
        float[] logits = {1f, Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        assertThat(kept(plain(1).withTopK(3), logits)).containsExactly(0, 2);
        assertThat(kept(plain(1), logits)).containsExactly(0, 2);
        assertThat(kept(plain(1).withMinKeep(4).withTopP(0.1), logits)).containsExactly(0, 2);
    }

    @Test
    void topPKeepsTheSmallestPrefixThatReachesP() {
        // probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 (logits ln of them)
        float[] logits = logitsOf(0.0625, 0.5, 0.125, 0.25, 0.0625);
        assertThat(kept(plain(1).withTopP(0.49), logits)).containsExactly(1);
        assertThat(kept(plain(1).withTopP(0.6), logits)).containsExactly(1, 3);
        assertThat(kept(plain(1).withTopP(0.74), logits)).containsExactly(1, 3);
        assertThat(kept(plain(1).withTopP(0.8), logits)).containsExactly(1, 3, 2);
        assertThat(kept(plain(1).withTopP(0.9), logits)).containsExactly(1, 3, 2, 0);
        assertThat(kept(plain(1).withTopP(0.99), logits)).containsExactly(1, 3, 2, 0, 4);
        assertThat(kept(plain(1).withTopP(0.01).withMinKeep(3), logits)).containsExactly(1, 3, 2);
        // after top-k 2, the probabilities are renormalised over the two kept: 2/3 and 1/3
        assertThat(kept(plain(1).withTopK(2).withTopP(0.6), logits)).containsExactly(1);
        assertThat(kept(plain(1).withTopK(2).withTopP(0.7), logits)).containsExactly(1, 3);
    }

    @Test
    void topPOnSeededRandomLogits() {
        SplittableRandom random = new SplittableRandom(SEED + 12);
        for (int round = 0; round < 300; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 5000);
            float[] logits = Reference.randomLogits(r, n);
            if (r.nextBoolean()) { // flat logits: top-p has to rank well past its first prefix
                for (int i = 0; i < n; i++) {
                    logits[i] *= 0.01f;
                }
            }
            double p = r.nextDouble(0.01, 1.0);
            int minKeep = r.nextInt(4) == 0 ? r.nextInt(0, 20) : 0;
            int topK = r.nextBoolean() ? 0 : r.nextInt(1, 300);
            String context = String.format("case seed %d (n %d, top_p %s, min_keep %d, top_k %d)", caseSeed, n, p,
                    minKeep, topK);
            int[] ranking = Reference.ranking(logits);
            if (topK > 0) {
                ranking = Arrays.copyOf(ranking, Math.min(topK, ranking.length));
            }
            double[] probs = probabilitiesOver(logits, ranking);
            int[] kept = kept(plain(caseSeed).withTopP(p).withMinKeep(minKeep).withTopK(topK), logits);
            assertThat(kept).as(context).containsExactly(Arrays.copyOf(ranking, kept.length));
            double mass = 0;
            for (int i = 0; i < kept.length; i++) {
                mass += probs[i];
            }
            double withoutLast = mass - probs[kept.length - 1];
            if (kept.length < ranking.length) {
                assertThat(mass).as(context + ": kept mass").isGreaterThanOrEqualTo(p - 1e-9);
            }
            if (kept.length > Math.max(1, minKeep)) {
                assertThat(withoutLast).as(context + ": mass without the last kept").isLessThan(p + 1e-9);
            }
            assertThat(kept.length).as(context).isGreaterThanOrEqualTo(Math.min(Math.max(1, minKeep), ranking.length));
        }
    }

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheBest() {
        float[] logits = logitsOf(0.05, 0.4, 0.1, 0.2, 0.25);
        // relative to p_max = 0.4: 0.125, 1, 0.25, 0.5, 0.625
        assertThat(kept(plain(1).withMinP(0.6), logits)).containsExactly(1, 4);
        assertThat(kept(plain(1).withMinP(0.3), logits)).containsExactly(1, 4, 3);
        assertThat(kept(plain(1).withMinP(0.2), logits)).containsExactly(1, 4, 3, 2);
        assertThat(kept(plain(1).withMinP(0.1), logits)).containsExactly(1, 4, 3, 2, 0);
        assertThat(kept(plain(1).withMinP(1.0), logits)).containsExactly(1);
        assertThat(kept(plain(1).withMinP(0.9).withMinKeep(3), logits)).containsExactly(1, 4, 3);
        assertThat(kept(plain(1).withMinP(0.6).withTopK(4), logits)).containsExactly(1, 4);
        assertThat(kept(plain(1).withMinP(0.9).withTopK(4).withMinKeep(2), logits)).containsExactly(1, 4);
    }

    @Test
    void minPOnSeededRandomLogits() {
        SplittableRandom random = new SplittableRandom(SEED + 13);
        for (int round = 0; round < 300; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 3000);
            float[] logits = Reference.randomLogits(r, n);
            double minP = r.nextDouble(0.001, 1.0);
            int topK = r.nextBoolean() ? 0 : r.nextInt(1, 200);
            int minKeep = r.nextInt(3) == 0 ? r.nextInt(0, 30) : 0;
            String context = String.format("case seed %d (n %d, min_p %s, top_k %d, min_keep %d)", caseSeed, n, minP,
                    topK, minKeep);
            int[] ranking = Reference.ranking(logits);
            if (topK > 0) {
                ranking = Arrays.copyOf(ranking, Math.min(topK, ranking.length));
            }
            double max = logits[ranking[0]];
            int[] kept = kept(plain(caseSeed).withMinP(minP).withTopK(topK).withMinKeep(minKeep), logits);
            java.util.Set<Integer> keptSet = new java.util.HashSet<>();
            for (int id : kept) {
                keptSet.add(id);
            }
            int keep = Math.max(1, minKeep);
            int passing = 0;
            for (int rank = 0; rank < ranking.length; rank++) {
                int id = ranking[rank];
                double ratio = Math.exp(logits[id] - max); // p_i / p_max
                if (ratio >= minP * (1 + 1e-4)) {
                    passing++;
                    assertThat(keptSet).as(context + ": token %d has p/p_max %s", id, ratio).contains(id);
                } else if (ratio < minP * (1 - 1e-4) && rank >= keep) {
                    assertThat(keptSet).as(context + ": token %d has p/p_max %s", id, ratio).doesNotContain(id);
                }
            }
            assertThat(kept.length).as(context).isGreaterThanOrEqualTo(Math.min(keep, ranking.length));
            assertThat(kept.length).as(context).isGreaterThanOrEqualTo(passing);
            assertThat(kept).as(context + ": the kept are a best-first prefix")
                    .containsExactly(Arrays.copyOf(ranking, kept.length));
        }
    }

    @Test
    void theDrawnTokenIsAlwaysAKeptCandidate() {
        SplittableRandom random = new SplittableRandom(SEED + 14);
        for (int round = 0; round < 200; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 2000);
            float[] logits = Reference.randomLogits(r, n);
            SamplingParams params = SamplingParams.defaults().withSeed(caseSeed).withTopK(r.nextInt(0, 60))
                    .withTopP(r.nextDouble(0.05, 1.0)).withMinP(r.nextDouble(0, 0.5))
                    .withTemperature(r.nextDouble(0.05, 3));
            java.util.Set<Integer> keptSet = new java.util.HashSet<>();
            for (int id : kept(params, logits)) {
                keptSet.add(id);
            }
            Sampler sampler = new Sampler(params, n);
            for (int draw = 0; draw < 20; draw++) {
                assertThat(keptSet).as("case seed %d, draw %d", caseSeed, draw).contains(sampler.sample(logits));
            }
        }
    }

    private static int[] kept(SamplingParams params, float[] logits) {
        return new Sampler(params, logits.length).keptTokens(logits);
    }

    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    /** Softmax over the given ids only, in the order given. */
    private static double[] probabilitiesOver(float[] logits, int[] ids) {
        double max = logits[ids[0]];
        double[] p = new double[ids.length];
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            p[i] = Math.exp(logits[ids[i]] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
