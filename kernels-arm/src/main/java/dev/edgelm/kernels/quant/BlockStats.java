package dev.edgelm.kernels.quant;

/** Scale-finding idioms shared by llama.cpp's quantizers, with their exact NaN and zero behaviour. */
final class BlockStats {

    private BlockStats() {}

    /**
     * {@code amax = MAX(amax, fabsf(x))} over the values, as Q8_0, Q8_1, TQ1_0 and TQ2_0 compute it. With ggml's
     * {@code MAX(a, b) = a > b ? a : b}, a NaN replaces the running maximum and the next value replaces the
     * NaN: the result is the largest magnitude after the last NaN, or NaN if the last value is NaN.
     */
    static float maxAbs(float[] x, int offset, int n) {
        float amax = 0;
        for (int j = 0; j < n; j++) {
            float a = Math.abs(x[offset + j]);
            amax = amax > a ? amax : a;
        }
        return amax;
    }

    /**
     * The first value of largest magnitude, with its sign (0 if all are zero); NaNs never compare greater, so
     * they are skipped. Q4_0, Q5_0, Q6_K and Q8_K scale by this value.
     */
    static float signedMaxAbs(float[] x, int offset, int n) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < n; j++) {
            float v = x[offset + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /** {@code d ? 1.0f/d : 0.0f}: the inverse scale, 0 for a zero scale (and infinite for a subnormal one). */
    static float inverseOrZero(float d) {
        return d != 0 ? 1.0f / d : 0.0f;
    }
}
