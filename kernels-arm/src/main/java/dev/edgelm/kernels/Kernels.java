package dev.edgelm.kernels;

import java.lang.foreign.Arena;

/**
 * The numeric kernels of EdgeLM: quantized matrix products and the float operations around them.
 *
 * <p>Two implementations sit behind this interface: a plain scalar reference and a Vector API one, chosen once
 * at start-up by {@link KernelProvider} ({@link #get()}). Every vector kernel is tested against the reference.
 * Implementations are stateless and safe to share between threads; parallel work goes through
 * {@link ComputePool}, which hands each thread a disjoint range of rows, so results never depend on the number
 * of threads.
 *
 * <p>Weights come as {@link WeightMatrix} (a memory segment, a block format and a shape); activations as
 * {@link QuantizedActivations}, quantized once per input vector and shared by every matrix that reads it. A
 * product's output for row {@code r} and activation column {@code c} goes to {@code out[c * rows + r]}.
 *
 * <p>Quantized dot products follow llama.cpp: integer products of weight codes and 8-bit activation codes per
 * block, one float multiply-add per block with the product of the two scales, offsets (Q4_K minimums, the
 * ternary formats' stored {@code t + 1}) folded in through the activation block sums. Results agree with the
 * reference exactly when every scale is a power of two (the integer parts are exact), and otherwise within
 * float rounding of the per-block sums.
 */
public interface Kernels {

    /** The kernels chosen at start-up ({@link KernelProvider#get()}). */
    static Kernels get() {
        return KernelProvider.get();
    }

    /** A short description, e.g. {@code "scalar"} or {@code "vector-128"}. */
    String name();

    /** The vector width in bits, or 0 for the scalar reference. */
    int vectorBits();

    // ---- quantized matrix products

    /**
     * {@code w} in the layout these kernels multiply fastest: a copy in memory from {@code arena} when that is not
     * {@code w}'s own layout, {@code w} itself otherwise. Every implementation multiplies every layout; this only
     * trades the copy (memory, and time once at load) for faster products.
     */
    WeightMatrix prepare(WeightMatrix w, Arena arena);

    /**
     * The dot product of row {@code row} of {@code w} with activation column {@code column} of {@code x}.
     *
     * @throws IllegalArgumentException if {@code x} cannot feed {@code w} (length or encoding)
     * @throws IndexOutOfBoundsException if the row or column is out of range
     */
    float dot(WeightMatrix w, int row, QuantizedActivations x, int column);

    /**
     * Matrix-vector product for decode: {@code out[r] = dot(w, r, x, 0)} for rows in [rowStart, rowEnd).
     *
     * @throws IllegalArgumentException if {@code x} cannot feed {@code w}
     * @throws IndexOutOfBoundsException if the row range or {@code out} is too small
     */
    void matvec(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd);

    /**
     * Matrix-matrix product for prefill: {@code out[c * w.rows() + r] = dot(w, r, x, c)} for rows in
     * [rowStart, rowEnd) and every column of {@code x}; each weight block is read once for all columns.
     *
     * @throws IllegalArgumentException if {@code x} cannot feed {@code w}
     * @throws IndexOutOfBoundsException if the row range or {@code out} is too small
     */
    void matmul(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd);

    /**
     * Rows of {@code w} these kernels' products compute together, a power of two: a product over a row range
     * computes whole steps and drops the rows outside the range, so a parallel product splits the rows at multiples
     * of it.
     */
    int rowStep(WeightMatrix w);

    // ---- float vectors (attention pieces and element-wise operations)

    /** {@code sum a[aOffset + i] * b[bOffset + i]} for i in [0, n). */
    float dot(float[] a, int aOffset, float[] b, int bOffset, int n);

    /**
     * A small float matrix product added to {@code c}: {@code c[r][j] += sum over i of a[r][i] * b[i][j]} for
     * {@code r < rows}, {@code j < cols}, {@code i < inner}, each matrix stored by rows, element (r, j) of {@code c}
     * at {@code c[cOffset + r * cStride + j]} (likewise {@code a} and {@code b}). Attention runs on it: scores are
     * queries times keys stored dimension-major (a key per column), outputs gain softmax weights times values.
     *
     * <p>Each element is one chain of fused multiply-adds in order of i, starting from its value in {@code c}, so
     * every implementation gives the same bits, whatever the tile an element falls in.
     *
     * @throws IndexOutOfBoundsException if a matrix does not fit its array
     */
    void addProduct(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride, float[] c, int cOffset,
            int cStride, int rows, int inner, int cols);

    /** {@code dst[dstOffset + i] = f16(src[srcOffset + i])}: binary16 bits widened exactly (an F16 KV cache). */
    void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int n);

    /** {@code dst[dstOffset + i] += src[srcOffset + i]} (residual connections). */
    void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n);

    /** {@code dst[dstOffset + i] *= src[srcOffset + i]}. */
    void mul(float[] dst, int dstOffset, float[] src, int srcOffset, int n);

    /** {@code x[offset + i] *= factor}. */
    void scale(float[] x, int offset, int n, float factor);

    /**
     * RMSNorm: {@code out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]} over n values ({@code out} may be
     * {@code x}).
     */
    void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset, int n,
            float eps);

    /**
     * LayerNorm: {@code out[i] = (x[i] - mean) / sqrt(var + eps) * weight[i] + bias[i]} over n values, the mean and
     * variance taken over those values ({@code out} may be {@code x}; {@code bias} may be null for none). Phi-2 and
     * GPT-2 normalise this way.
     */
    void layerNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, int n,
            float eps);

    /** In-place softmax over {@code x[offset .. offset + n)}, max-subtracted: {@link #max}, {@link #expSum}, scale. */
    void softmax(float[] x, int offset, int n);

    /** The largest of {@code x[offset .. offset + n)}, negative infinity if {@code n} is 0. */
    float max(float[] x, int offset, int n);

    /**
     * Softmax's terms before normalisation: {@code x[offset + i] = exp(x[offset + i] - shift)} in place, and their
     * sum (an online softmax calls it per tile of scores with the running maximum).
     */
    float expSum(float[] x, int offset, int n, float shift);

    /** In-place SiLU, {@code x / (1 + exp(-x))}. */
    void silu(float[] x, int offset, int n);

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]}. */
    void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n);

    /**
     * In-place GELU in its tanh form, {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, as llama.cpp's
     * {@code ggml_gelu} defines it (Gemma's GeGLU, Phi-2 and GPT-2).
     */
    void gelu(float[] x, int offset, int n);

    /** In-place soft-capping, {@code cap * tanh(x / cap)} (Gemma 2's attention scores and logits). */
    void softcap(float[] x, int offset, int n, float cap);

    /** In-place squared ReLU, {@code max(x, 0)^2} (BitNet's feed-forward activation). */
    void squaredRelu(float[] x, int offset, int n);

    /**
     * Rotary position embedding, in place, of {@code heads} consecutive heads of {@code headDim} values at
     * {@code x[offset ..]}. The first {@code rotaryDims} values of each head are rotated in pairs by the angles
     * whose cosines and sines are {@code cos[tableOffset + i]}, {@code sin[tableOffset + i]},
     * {@code i < rotaryDims / 2} ({@link RopeTables}); the rest are left alone.
     *
     * @param layout which values form pair i: {@link RopeLayout#NORMAL} (2i, 2i+1) or {@link RopeLayout#NEOX}
     *     (i, i + rotaryDims/2)
     */
    void rope(float[] x, int offset, int heads, int headDim, int rotaryDims, float[] cos, float[] sin,
            int tableOffset, RopeLayout layout);
}
