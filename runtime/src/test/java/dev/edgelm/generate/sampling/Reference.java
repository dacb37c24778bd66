package dev.edgelm.generate.sampling;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;

/** Plain, obviously-correct versions of what the sampler does fast, and seeded logit generators, for the tests. */
final class Reference {
    /** Base seed of the seeded tests; rerun a failure with {@code -Dsampling.seed=SEED}. */
    static final long SEED = Long.getLong("sampling.seed", 0x5EED_2025L);

    private Reference() {
    }

    /** All token ids ranked by a full sort: higher logit first, ties to the lower id; -Infinity left out. */
    static int[] ranking(float[] logits) {
        return java.util.stream.IntStream.range(0, logits.length)
                .filter(i -> logits[i] != Float.NEGATIVE_INFINITY)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> logits[i]).reversed()
                        .thenComparingInt(i -> i))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /** The lowest id among the highest logits, by a plain loop. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Softmax of logits / temperature in double, straight from the definition (with the max subtracted). */
    static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** log-softmax in double. */
    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /**
     * Random logits: normal-ish values, sometimes coarsely rounded (so that ties are common), sometimes with a few
     * -Infinity entries.
     */
    static float[] randomLogits(SplittableRandom random, int n) {
        float[] logits = new float[n];
        double scale = random.nextDouble(0.1, 8.0);
        boolean coarse = random.nextInt(3) == 0;
        for (int i = 0; i < n; i++) {
            double v = random.nextGaussian() * scale;
            logits[i] = coarse ? Math.round(v) : (float) v;
        }
        if (random.nextInt(4) == 0) {
            int banned = random.nextInt(0, Math.max(1, n / 4));
            for (int b = 0; b < banned; b++) {
                logits[random.nextInt(n)] = Float.NEGATIVE_INFINITY;
            }
        }
        if (Arrays.stream(ranking(logits)).count() == 0) {
            logits[random.nextInt(n)] = 0.0f;
        }
        return logits;
    }

    /** Parameters with every filter off (temperature 1, top-k 0, top-p 1, min-p 0) and the given seed. */
    static SamplingParams plain(long seed) {
        return SamplingParams.defaults().withTemperature(1.0).withTopK(0).withTopP(1.0).withMinP(0.0)
                .withSeed(seed);
    }
}
