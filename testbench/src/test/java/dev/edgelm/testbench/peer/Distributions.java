package dev.edgelm.testbench.peer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Next-token distributions as the conformance tests compare them with llama-run.mjs's. */
public final class Distributions {
    private Distributions() {
    }

    /** Log-softmax in double: {@code x - max - log(sum(exp(x - max)))}, as llama-run.mjs computes it. */
    public static double[] logSoftmax(double[] x) {
        double max = Arrays.stream(x).max().orElseThrow();
        double sum = Arrays.stream(x).map(v -> Math.exp(v - max)).sum();
        double lse = max + Math.log(sum);
        return Arrays.stream(x).map(v -> v - lse).toArray();
    }

    /** {@link #logSoftmax(double[])} of float logits. */
    public static double[] logSoftmax(float[] logits) {
        return logSoftmax(IntStream.range(0, logits.length).mapToDouble(i -> logits[i]).toArray());
    }

    /** The k highest ids, ties ordered by id (llama-run.mjs's order). */
    public static int[] topK(double[] x, int k) {
        return IntStream.range(0, x.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -x[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }
}
