package dev.edgelm.kernels.quant;

/**
 * The scale searches of llama.cpp's K-quant reference quantizers ({@code make_qkx2_quants} and
 * {@code make_qx_quants} in {@code ggml-quants.c}), in the same float operations in the same order, because
 * the chosen scales, and so the bytes, depend on every rounding.
 */
final class KQuantSearch {

    /** Below this magnitude a group counts as all zeros ({@code GROUP_MAX_EPS}). */
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantSearch() {}

    /**
     * Parameters of the affine (scale and minimum) search that Q4_K and Q5_K use for each 32-value sub-block:
     * codes {@code 0 .. nmax}, and candidate inverse scales {@code (nmax + rmin + rdelta * i) / (max - min)}
     * for {@code i = 0 .. steps}.
     */
    record Affine(int nmax, float rmin, float rdelta, int steps) {

        /**
         * Finds the weighted least-squares scale and minimum for {@code n = weights.length} values
         * {@code x[xOffset ..]}: writes their codes to {@code levels[levelsOffset ..]} and {@code -min} (a
         * non-negative offset) to {@code negatedMin[minIndex]}, and returns the scale.
         *
         * @param levelsAux scratch of at least {@code n} entries
         */
        float search(float[] x, int xOffset, float[] weights, int[] levels, int levelsOffset, int[] levelsAux,
                float[] negatedMin, int minIndex) {
            int n = weights.length;
            float min = x[xOffset];
            float max = x[xOffset];
            float sumW = weights[0];
            float sumX = sumW * x[xOffset];
            for (int i = 1; i < n; i++) {
                float v = x[xOffset + i];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
                float w = weights[i];
                sumW += w;
                sumX += w * v;
            }
            if (min > 0) {
                min = 0; // the grid always reaches 0, so an all-positive group keeps small values exact
            }
            if (max == min) {
                for (int i = 0; i < n; i++) {
                    levels[levelsOffset + i] = 0;
                }
                negatedMin[minIndex] = -min;
                return 0.f;
            }
            float iscale = nmax / (max - min);
            float scale = 1 / iscale;
            float bestError = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(CRounding.nearestInt(iscale * (x[xOffset + i] - min)), 0, nmax);
                levels[levelsOffset + i] = l;
                float diff = scale * l + min - x[xOffset + i];
                bestError += weights[i] * (diff * diff);
            }
            for (int step = 0; step <= steps; step++) {
                iscale = (rmin + rdelta * step + nmax) / (max - min);
                float sumL = 0;
                float sumL2 = 0;
                float sumXL = 0;
                for (int i = 0; i < n; i++) {
                    float v = x[xOffset + i];
                    int l = clamp(CRounding.nearestInt(iscale * (v - min)), 0, nmax);
                    levelsAux[i] = l;
                    float w = weights[i];
                    sumL += w * l;
                    sumL2 += w * l * l;
                    sumXL += w * l * v;
                }
                float det = sumW * sumL2 - sumL * sumL;
                if (det > 0) {
                    float thisScale = (sumW * sumXL - sumX * sumL) / det;
                    float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                    if (thisMin > 0) {
                        thisMin = 0;
                        thisScale = sumXL / sumL2;
                    }
                    float error = 0;
                    for (int i = 0; i < n; i++) {
                        float diff = thisScale * levelsAux[i] + thisMin - x[xOffset + i];
                        error += weights[i] * (diff * diff);
                    }
                    if (error < bestError) {
                        System.arraycopy(levelsAux, 0, levels, levelsOffset, n);
                        bestError = error;
                        scale = thisScale;
                        min = thisMin;
                    }
                }
            }
            negatedMin[minIndex] = -min;
            return scale;
        }
    }

    /**
     * The symmetric search Q6_K uses for each 16-value sub-block ({@code make_qx_quants} with
     * {@code rmse_type = 1}: weights {@code x^2}): writes codes {@code 0 .. 2*nmax - 1} (value + nmax) to
     * {@code levels[levelsOffset ..]} and returns the scale, which is negative when the largest-magnitude value
     * is positive. An all-zero group gets scale 0 and codes 0.
     */
    static float symmetric(int n, int nmax, float[] x, int xOffset, int[] levels, int levelsOffset) {
        float max = BlockStats.signedMaxAbs(x, xOffset, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                levels[levelsOffset + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            int l = clamp(CRounding.nearestInt(iscale * v), -nmax, nmax - 1);
            levels[levelsOffset + i] = l + nmax;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0.0f;
        float best = scale * sumLX;
        for (int step = -9; step <= 9; step++) {
            if (step == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * step) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOffset + i];
                int l = clamp(CRounding.nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = clamp(CRounding.nearestInt(iscale * x[xOffset + i]), -nmax, nmax - 1);
                    levels[levelsOffset + i] = l + nmax;
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    static int clamp(int value, int lo, int hi) {
        return Math.max(lo, Math.min(hi, value));
    }
}
