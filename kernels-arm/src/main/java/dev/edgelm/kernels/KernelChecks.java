package dev.edgelm.kernels;

import java.util.Objects;

/** Argument checks and small formulas shared by both kernel implementations, so they cannot drift apart. */
final class KernelChecks {

    private KernelChecks() {}

    /** Checks a matrix product over rows [rowStart, rowEnd) writing {@code columns} columns into out. */
    static void product(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd,
            int columns) {
        x.checkFits(w);
        Objects.checkFromToIndex(rowStart, rowEnd, w.rows());
        Objects.checkFromIndexSize(0, (long) (columns - 1) * w.rows() + rowEnd, out.length);
    }

    static void ranges(float[] a, int aOffset, float[] b, int bOffset, int n) {
        Objects.checkFromIndexSize(aOffset, n, a.length);
        Objects.checkFromIndexSize(bOffset, n, b.length);
    }

    static void rope(float[] x, int offset, int heads, int headDim, int rotaryDims, float[] cos, float[] sin,
            int tableOffset) {
        if (rotaryDims <= 0 || rotaryDims % 2 != 0 || rotaryDims > headDim || heads < 0) {
            throw new IllegalArgumentException("rotaryDims must be even and in (0, headDim], got " + rotaryDims
                    + " for headDim " + headDim);
        }
        Objects.checkFromIndexSize(offset, (long) heads * headDim, x.length);
        Objects.checkFromIndexSize(tableOffset, rotaryDims / 2, cos.length);
        Objects.checkFromIndexSize(tableOffset, rotaryDims / 2, sin.length);
    }

    /** {@code 1 / sqrt(sumSquares / n + eps)}, as ggml's rms_norm (mean in float, then the scale). */
    static float inverseRms(float sumSquares, int n, float eps) {
        return (float) (1.0 / Math.sqrt(sumSquares / n + eps));
    }

    static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** GELU, tanh form, in double and rounded once. */
    static float gelu(float x) {
        double v = x;
        return (float) (0.5 * v * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * v * (1.0 + 0.044715 * v * v))));
    }

    /** {@code cap * tanh(x / cap)}, in double and rounded once. */
    static float softcap(float x, float cap) {
        return (float) (cap * Math.tanh((double) x / cap));
    }

    /** The layer-norm statistics' second part: {@code 1 / sqrt(variance + eps)}. */
    static float inverseStdDev(double sumSquaredDeviations, int n, float eps) {
        return (float) (1.0 / Math.sqrt(sumSquaredDeviations / n + eps));
    }

    /** A matrix of {@code rows} by {@code cols} at {@code offset}, rows {@code stride} apart, fits in {@code length}. */
    static void matrix(int length, int offset, int stride, int rows, int cols) {
        if (rows < 0 || cols < 0 || stride < 0) {
            throw new IndexOutOfBoundsException("a matrix needs rows, columns and stride >= 0, got " + rows + ", "
                    + cols + ", " + stride);
        }
        if (rows > 0 && cols > 0) {
            Objects.checkFromIndexSize(offset, (long) (rows - 1) * stride + cols, length);
        }
    }
}
