package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.gaussian;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.quantizedMatrix;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.rowUnit;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The scalar reference agrees with plain float arithmetic on the reference codecs' decoded weights and
 * activations, and its float operations with their textbook definitions.
 */
class ScalarKernelsTest {

    private static final ScalarKernels SCALAR = new ScalarKernels();

    static BlockFormat[] formats() {
        return KernelTestSupport.WEIGHT_FORMATS;
    }

    @ParameterizedTest
    @MethodSource("formats")
    void quantizedDotIsTheDotOfDecodedValues(BlockFormat format) {
        int cols = 4 * rowUnit(format);
        long seed = seed(800 + format.ordinal());
        SplittableRandom random = new SplittableRandom(seed);
        WeightMatrix w = quantizedMatrix(format, 5, cols, random);
        QuantizedActivations x = quantize(gaussian(random, cols), cols);
        float[] weights = Quantization.dequantize(format, w.data(), w.rows(), cols);
        float[] activations = decodedActivations(x, Encoding.of(format));
        for (int r = 0; r < w.rows(); r++) {
            double expected = 0;
            double magnitude = 0;
            for (int i = 0; i < cols; i++) {
                expected += (double) weights[r * cols + i] * activations[i];
                magnitude += Math.abs((double) weights[r * cols + i] * activations[i]);
            }
            assertThat((double) SCALAR.dot(w, r, x, 0)).as(format + " row " + r + ", " + replay(seed))
                    .isCloseTo(expected, within(1e-6 * magnitude));
        }
    }

    private static float[] decodedActivations(QuantizedActivations x, Encoding encoding) {
        float[] values = new float[x.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (encoding) {
                case FLOAT -> x.values[i];
                case Q8_0 -> x.q8Codes[i] * x.q8Scales[i / 32];
                case Q8_K -> x.qkCodes[i] * x.qkScales[i / 256];
            };
        }
        return values;
    }

    @Test
    void ropeRotatesThePairsOfEachLayout() {
        float[] cos = {0f, 1f};
        float[] sin = {1f, 0f}; // pair 0 turns by 90 degrees, pair 1 stays
        float[] normal = {1, 2, 3, 4, 9};
        SCALAR.rope(normal, 0, 1, 4, 4, cos, sin, 0, RopeLayout.NORMAL);
        assertThat(normal).containsExactly(-2, 1, 3, 4, 9);
        float[] neox = {1, 2, 3, 4};
        SCALAR.rope(neox, 0, 1, 4, 4, cos, sin, 0, RopeLayout.NEOX);
        assertThat(neox).containsExactly(-3, 2, 1, 4);
        float[] partial = {1, 2, 3, 4, 5, 6, 7, 8};
        SCALAR.rope(partial, 0, 2, 4, 2, cos, sin, 0, RopeLayout.NEOX);
        assertThat(partial).containsExactly(-2, 1, 3, 4, -6, 5, 7, 8);
    }

    @Test
    void ropeTablesHoldTheAngles() {
        RopeTables tables = RopeTables.compute(3, 4, 10000);
        assertThat(tables.pairs()).isEqualTo(2);
        assertThat(tables.cos()[tables.offset(2)]).isEqualTo((float) Math.cos(2));
        assertThat(tables.sin()[tables.offset(2) + 1]).isEqualTo((float) Math.sin(2 * Math.pow(10000, -0.5)));
    }

    @Test
    void normsAndActivations() {
        float[] x = {3, 4};
        float[] out = new float[2];
        SCALAR.rmsNorm(out, 0, x, 0, new float[] {1, 2}, 0, 2, 0);
        float inverse = (float) (1 / Math.sqrt(12.5));
        assertThat(out).containsExactly(3 * inverse, 4 * inverse * 2);
        float[] p = {1, 2, 3, Float.NEGATIVE_INFINITY};
        SCALAR.softmax(p, 0, 4);
        assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1f, within(1e-6f));
        assertThat(p[3]).isZero();
        float[] s = {0, 1, -2};
        SCALAR.silu(s, 0, 3);
        assertThat(s[1]).isCloseTo((float) (1 / (1 + Math.exp(-1))), within(1e-7f));
        float[] r = {-2, 3};
        SCALAR.squaredRelu(r, 0, 2);
        assertThat(r).containsExactly(0, 9);
    }

    /** Known answers: GELU's tanh form at a few points, soft-capping, and a LayerNorm worked by hand. */
    @Test
    void layerNormGeluAndSoftcapFollowTheirDefinitions() {
        float[] x = {-3f, -1f, 0f, 1f, 3f};
        SCALAR.gelu(x, 0, x.length);
        // 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))), worked in double.
        assertThat(x).containsExactly(new float[] {-0.00363739f, -0.15880801f, 0f, 0.84119199f, 2.99636261f},
                within(1e-6f));

        float[] capped = {0f, 30f, -1000f};
        SCALAR.softcap(capped, 0, 3, 30f);
        assertThat(capped).containsExactly(new float[] {0f, (float) (30 * Math.tanh(1)), -30f}, within(1e-5f));

        // Mean 2.5, variance 1.25: (x - 2.5) / sqrt(1.25 + eps) * w + b.
        float[] values = {1f, 2f, 3f, 4f};
        float[] out = new float[4];
        SCALAR.layerNorm(out, 0, values, 0, new float[] {1f, 1f, 2f, 2f}, new float[] {0f, 0f, 0f, 10f}, 4, 0f);
        float inv = (float) (1 / Math.sqrt(1.25));
        assertThat(out).containsExactly(new float[] {-1.5f * inv, -0.5f * inv, 1.0f * inv, 10f + 3.0f * inv},
                within(1e-6f));
    }

    /** A 2x3 times a 3x2 matrix added into a 2x2 one, each inside a larger array with its own offset and stride. */
    @Test
    void addProductAddsTheMatrixProduct() {
        float[] a = {9, 1, 2, 3, 9, 4, 5, 6}; // offset 1, stride 4: rows (1 2 3) and (4 5 6)
        float[] b = {1, 0, 7, 0, 1, 7, 1, 1}; // offset 0, stride 3: rows (1 0), (0 1) and (1 1)
        float[] c = {10, 20, -1, 30, 40}; // offset 0, stride 3
        SCALAR.addProduct(a, 1, 4, b, 0, 3, c, 0, 3, 2, 3, 2);
        assertThat(c).containsExactly(10 + 4, 20 + 5, -1, 30 + 10, 40 + 11);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SCALAR.addProduct(a, 1, 4, b, 0, 3, c, 0, 3, 2, 3, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /** The online softmax's pieces: the maximum (negative infinity over nothing) and the shifted exponentials. */
    @Test
    void maxAndExpSumDefineTheSoftmax() {
        float[] x = {5, 1, 3, 2};
        assertThat(SCALAR.max(x, 1, 3)).isEqualTo(3f);
        assertThat(SCALAR.max(x, 0, 0)).isEqualTo(Float.NEGATIVE_INFINITY);
        float sum = SCALAR.expSum(x, 1, 3, 3f);
        assertThat(x).containsExactly(new float[] {5, (float) Math.exp(-2), 1, (float) Math.exp(-1)}, within(1e-7f));
        assertThat((double) sum).isCloseTo(Math.exp(-2) + 1 + Math.exp(-1), within(1e-6));
    }
}
