package dev.edgelm.kernels;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import dev.edgelm.kernels.quant.BlockCodec;
import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The scalar reference kernels: plain loops, written for clarity, that the vector kernels are tested against.
 *
 * <p>Quantized dot products decode each weight block with the bit-exact reference codec ({@link BlockCodec})
 * and multiply it with the activation codes of the matching encoding, scaling once per activation block, all
 * in double. With power-of-two scales every step is exact, which is what lets tests compare the vector
 * kernels' integer arithmetic exactly.
 */
public final class ScalarKernels implements Kernels {
    /** Values decoded at a time: one Q8_K block, or a run of float values. */
    private static final int CHUNK = QuantizedActivations.QK_BLOCK;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int vectorBits() {
        return 0;
    }

    /** The reference reads every layout as it is: nothing to copy. */
    @Override
    public WeightMatrix prepare(WeightMatrix w, Arena arena) {
        return w;
    }

    @Override
    public float dot(WeightMatrix w, int row, QuantizedActivations x, int column) {
        x.checkFits(w);
        Objects.checkIndex(row, w.rows());
        Objects.checkIndex(column, x.columns());
        return rowDot(w, row, x, column, new float[CHUNK]);
    }

    /** One row at a time. */
    @Override
    public int rowStep(WeightMatrix w) {
        return 1;
    }

    @Override
    public void matvec(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        KernelChecks.product(w, x, out, rowStart, rowEnd, 1);
        float[] scratch = new float[CHUNK];
        for (int r = rowStart; r < rowEnd; r++) {
            out[r] = rowDot(w, r, x, 0, scratch);
        }
    }

    @Override
    public void matmul(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        KernelChecks.product(w, x, out, rowStart, rowEnd, x.columns());
        float[] scratch = new float[CHUNK];
        for (int r = rowStart; r < rowEnd; r++) {
            for (int c = 0; c < x.columns(); c++) {
                out[c * w.rows() + r] = rowDot(w, r, x, c, scratch);
            }
        }
    }

    /** Row {@code row} of w dotted with column {@code column} of x, decoding through {@code scratch}. */
    private static float rowDot(WeightMatrix w, int row, QuantizedActivations x, int column, float[] scratch) {
        BlockFormat format = w.format();
        BlockCodec codec = BlockCodec.of(format);
        int cols = w.cols();
        MemorySegment data = w.data();
        long rowStart = row * w.rowBytes();
        if (w.layout() != WeightLayout.ROWS) {
            // The reference reads every layout through its GGUF form.
            data = MemorySegment.ofArray(new byte[(int) w.rowBytes()]);
            RowInterleaving.copyRow(w, row, data);
            rowStart = 0;
        }
        int base = column * cols;
        Encoding encoding = Encoding.of(format);
        // Whole weight blocks per chunk, and whole activation blocks: 256 suits every format (I2_S: 128).
        int chunk = Math.min(CHUNK, cols);
        double sum = 0;
        for (int start = 0; start < cols; start += chunk) {
            int n = Math.min(chunk, cols - start);
            codec.dequantizeRow(data, rowStart + format.rowBytes(start), scratch, 0, n);
            switch (encoding) {
                case FLOAT -> {
                    for (int i = 0; i < n; i++) {
                        sum += (double) scratch[i] * x.values[base + start + i];
                    }
                }
                case Q8_0 -> sum += blockDots(scratch, n, x.q8Codes, x.q8Scales, base + start,
                        QuantizedActivations.Q8_BLOCK);
                case Q8_K -> sum += blockDots(scratch, n, x.qkCodes, x.qkScales, base + start,
                        QuantizedActivations.QK_BLOCK);
            }
        }
        return (float) (sum * w.tensorScale());
    }

    /** Sum over activation blocks of {@code scale * sum(weight * code)}, for {@code n} values at {@code at}. */
    private static double blockDots(float[] weights, int n, short[] codes, float[] scales, int at, int block) {
        double sum = 0;
        for (int b = 0; b < n; b += block) {
            double blockSum = 0;
            for (int i = b; i < b + block; i++) {
                blockSum += (double) weights[i] * codes[at + i];
            }
            sum += blockSum * scales[(at + b) / block];
        }
        return sum;
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        KernelChecks.ranges(a, aOffset, b, bOffset, n);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public void addProduct(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride, float[] c,
            int cOffset, int cStride, int rows, int inner, int cols) {
        KernelChecks.matrix(a.length, aOffset, aStride, rows, inner);
        KernelChecks.matrix(b.length, bOffset, bStride, inner, cols);
        KernelChecks.matrix(c.length, cOffset, cStride, rows, cols);
        addProductUnchecked(a, aOffset, aStride, b, bOffset, bStride, c, cOffset, cStride, 0, rows, 0, cols, inner);
    }

    /** {@link #addProduct} for rows [r0, r1) and columns [j0, j1) (the vector kernels' edges). */
    static void addProductUnchecked(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride,
            float[] c, int cOffset, int cStride, int r0, int r1, int j0, int j1, int inner) {
        for (int r = r0; r < r1; r++) {
            for (int j = j0; j < j1; j++) {
                float acc = c[cOffset + r * cStride + j];
                for (int i = 0; i < inner; i++) {
                    acc = Math.fma(a[aOffset + r * aStride + i], b[bOffset + i * bStride + j], acc);
                }
                c[cOffset + r * cStride + j] = acc;
            }
        }
    }

    @Override
    public void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src[srcOffset + i]);
        }
    }

    @Override
    public void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        KernelChecks.ranges(dst, dstOffset, src, srcOffset, n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] += src[srcOffset + i];
        }
    }

    @Override
    public void mul(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        KernelChecks.ranges(dst, dstOffset, src, srcOffset, n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] *= src[srcOffset + i];
        }
    }

    @Override
    public void scale(float[] x, int offset, int n, float factor) {
        Objects.checkFromIndexSize(offset, n, x.length);
        for (int i = 0; i < n; i++) {
            x[offset + i] *= factor;
        }
    }

    @Override
    public void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            int n, float eps) {
        KernelChecks.ranges(out, outOffset, x, xOffset, n);
        Objects.checkFromIndexSize(weightOffset, n, weight.length);
        float sumSquares = 0;
        for (int i = 0; i < n; i++) {
            sumSquares += x[xOffset + i] * x[xOffset + i];
        }
        float inverse = KernelChecks.inverseRms(sumSquares, n, eps);
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inverse * weight[weightOffset + i];
        }
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        scale(x, offset, n, 1 / expSum(x, offset, n, max(x, offset, n)));
    }

    @Override
    public float max(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        return max;
    }

    @Override
    public float expSum(float[] x, int offset, int n, float shift) {
        Objects.checkFromIndexSize(offset, n, x.length);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            x[offset + i] = (float) Math.exp(x[offset + i] - shift);
            sum += x[offset + i];
        }
        return sum;
    }

    @Override
    public void layerNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, int n,
            float eps) {
        KernelChecks.ranges(out, outOffset, x, xOffset, n);
        Objects.checkFromIndexSize(0, n, weight.length);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOffset + i];
        }
        float mean = (float) (sum / n);
        double squares = 0;
        for (int i = 0; i < n; i++) {
            float d = x[xOffset + i] - mean;
            squares += d * d;
        }
        float inverse = KernelChecks.inverseStdDev(squares, n, eps);
        for (int i = 0; i < n; i++) {
            float v = (x[xOffset + i] - mean) * inverse * weight[i];
            out[outOffset + i] = bias == null ? v : v + bias[i];
        }
    }

    @Override
    public void gelu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        for (int i = 0; i < n; i++) {
            x[offset + i] = KernelChecks.gelu(x[offset + i]);
        }
    }

    @Override
    public void softcap(float[] x, int offset, int n, float cap) {
        Objects.checkFromIndexSize(offset, n, x.length);
        for (int i = 0; i < n; i++) {
            x[offset + i] = KernelChecks.softcap(x[offset + i], cap);
        }
    }

    @Override
    public void silu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        for (int i = 0; i < n; i++) {
            x[offset + i] = KernelChecks.silu(x[offset + i]);
        }
    }

    @Override
    public void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        KernelChecks.ranges(gate, gateOffset, up, upOffset, n);
        for (int i = 0; i < n; i++) {
            gate[gateOffset + i] = KernelChecks.silu(gate[gateOffset + i]) * up[upOffset + i];
        }
    }

    @Override
    public void squaredRelu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        for (int i = 0; i < n; i++) {
            float r = Math.max(x[offset + i], 0f);
            x[offset + i] = r * r;
        }
    }

    @Override
    public void rope(float[] x, int offset, int heads, int headDim, int rotaryDims, float[] cos, float[] sin,
            int tableOffset, RopeLayout layout) {
        KernelChecks.rope(x, offset, heads, headDim, rotaryDims, cos, sin, tableOffset);
        int pairs = rotaryDims / 2;
        // NORMAL rotates (2i, 2i+1), NEOX (i, i + pairs): the second value sits `step` after the first.
        int stride = layout == RopeLayout.NORMAL ? 2 : 1;
        int step = layout == RopeLayout.NORMAL ? 1 : pairs;
        for (int h = 0; h < heads; h++) {
            int head = offset + h * headDim;
            for (int i = 0; i < pairs; i++) {
                int a = head + i * stride;
                float x0 = x[a];
                float x1 = x[a + step];
                float c = cos[tableOffset + i];
                float s = sin[tableOffset + i];
                x[a] = x0 * c - x1 * s;
                x[a + step] = x0 * s + x1 * c;
            }
        }
    }
}
