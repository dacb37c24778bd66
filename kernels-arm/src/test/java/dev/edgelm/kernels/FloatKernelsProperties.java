package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.kernels.quant.HalfFloats;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The configured kernels' float operations against the scalar reference, on sizes around every vector length
 * and at unaligned offsets. Element-wise operations use the reference's exact operation order, so they must
 * match bit for bit; reductions (dots, norms, softmax) and exponentials are checked within stated tolerances.
 */
class FloatKernelsProperties {

    private static final Kernels KERNELS = Kernels.get();
    private static final Kernels REFERENCE = new ScalarKernels();
    private static final int[] SIZES = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 1000};
    private static final int[] OFFSETS = {0, 3};
    /** Sums in a different order: relative to the sum of magnitudes. */
    private static final double SUM_TOLERANCE = 1e-6;
    /** The Vector API's exp is within an ulp or two of Math.exp. */
    private static final double EXP_TOLERANCE = 1e-6;

    @Test
    void dotsMatchWithinSumTolerance() {
        forEachCase((random, n, offset, context) -> {
            float[] a = random(random, offset + n);
            float[] b = random(random, offset + n);
            double magnitude = 0;
            for (int i = offset; i < offset + n; i++) {
                magnitude += Math.abs((double) a[i] * b[i]);
            }
            assertThat(KERNELS.dot(a, offset, b, offset, n)).as(context)
                    .isCloseTo(REFERENCE.dot(a, offset, b, offset, n), within((float) (SUM_TOLERANCE * magnitude)));
        });
    }

    @Test
    void elementWiseOperationsAreBitExact() {
        forEachCase((random, n, offset, context) -> {
            float[] x = random(random, offset + n);
            float[] y = random(random, offset + n);
            short[] h = halves(random, offset + n);
            float alpha = (float) random.nextGaussian();
            assertSame(context + " halfToFloat", (k, v) -> k.halfToFloat(h, offset, v, offset, n), y);
            assertSame(context + " add", (k, v) -> k.add(v, offset, x, offset, n), y);
            assertSame(context + " mul", (k, v) -> k.mul(v, offset, x, offset, n), y);
            assertSame(context + " scale", (k, v) -> k.scale(v, offset, n, alpha), y);
            assertSame(context + " squaredRelu", (k, v) -> k.squaredRelu(v, offset, n), y);
        });
    }

    /**
     * The small matrix product attention runs on, at odd shapes (rows around the 4-row tile, columns around one and
     * two vectors, an empty inner dimension) inside larger strided arrays: bit for bit, since both implementations
     * compute each element as the same chain of fused multiply-adds.
     */
    @Test
    void addProductIsBitExact() {
        int[] rowCounts = {1, 2, 3, 4, 5, 7, 9};
        int[] innerCounts = {0, 1, 3, 17, 64};
        int[] colCounts = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 48, 64, 100};
        int index = 0;
        for (int rows : rowCounts) {
            for (int inner : innerCounts) {
                for (int cols : colCounts) {
                    long seed = seed(20_000 + index++);
                    SplittableRandom random = new SplittableRandom(seed);
                    int aOffset = random.nextInt(4);
                    int aStride = inner + random.nextInt(3);
                    int bOffset = random.nextInt(4);
                    int bStride = cols + random.nextInt(3);
                    int cOffset = random.nextInt(4);
                    int cStride = cols + random.nextInt(3);
                    float[] a = random(random, aOffset + rows * aStride + inner);
                    float[] b = random(random, bOffset + inner * bStride + cols);
                    float[] c = random(random, cOffset + rows * cStride + cols);
                    assertSame(rows + "x" + inner + " times " + inner + "x" + cols + ", " + replay(seed),
                            (k, v) -> k.addProduct(a, aOffset, aStride, b, bOffset, bStride, v, cOffset, cStride,
                                    rows, inner, cols), c);
                }
            }
        }
    }

    @Test
    void everyHalfWidensExactly() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] actual = new float[all.length];
        KERNELS.halfToFloat(all, 0, actual, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            float expected = Float.float16ToFloat(all[i]);
            if (Float.isNaN(expected)) { // a NaN stays a NaN; whether it comes out quiet is the hardware's choice
                assertThat(actual[i]).as("half 0x%04x", i).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(actual[i])).as("half 0x%04x", i)
                        .isEqualTo(Float.floatToRawIntBits(expected));
            }
        }
    }

    @Test
    void normsAndActivationsMatchWithinTolerance() {
        forEachCase((random, n, offset, context) -> {
            float[] x = random(random, offset + n);
            float[] weight = random(random, offset + n);
            float[] expected = new float[offset + n];
            float[] actual = new float[offset + n];
            REFERENCE.rmsNorm(expected, offset, x, offset, weight, offset, n, 1e-6f);
            KERNELS.rmsNorm(actual, offset, x, offset, weight, offset, n, 1e-6f);
            assertRelative(actual, expected, offset, n, SUM_TOLERANCE, context + " rmsNorm");

            float[] logits = random(random, offset + n);
            if (n > 1) {
                logits[offset] = Float.NEGATIVE_INFINITY; // a masked position
            }
            expected = logits.clone();
            actual = logits.clone();
            REFERENCE.softmax(expected, offset, n);
            KERNELS.softmax(actual, offset, n);
            assertRelative(actual, expected, offset, n, EXP_TOLERANCE + SUM_TOLERANCE, context + " softmax");

            // The online softmax's pieces: the maximum exactly, the shifted exponentials and their sum.
            assertThat(KERNELS.max(logits, offset, n)).as(context + " max").isEqualTo(REFERENCE.max(logits, offset, n));
            float shift = REFERENCE.max(logits, offset, n) + 0.5f;
            expected = logits.clone();
            actual = logits.clone();
            float expectedSum = REFERENCE.expSum(expected, offset, n, shift);
            float actualSum = KERNELS.expSum(actual, offset, n, shift);
            assertRelative(actual, expected, offset, n, EXP_TOLERANCE, context + " expSum");
            assertThat((double) actualSum).as(context + " expSum's sum")
                    .isCloseTo(expectedSum, within((EXP_TOLERANCE + SUM_TOLERANCE) * expectedSum));

            expected = x.clone();
            actual = x.clone();
            REFERENCE.silu(expected, offset, n);
            KERNELS.silu(actual, offset, n);
            assertRelative(actual, expected, offset, n, EXP_TOLERANCE, context + " silu");
            expected = x.clone();
            actual = x.clone();
            REFERENCE.siluMul(expected, offset, weight, offset, n);
            KERNELS.siluMul(actual, offset, weight, offset, n);
            assertRelative(actual, expected, offset, n, EXP_TOLERANCE, context + " siluMul");

            // Outputs near zero come from cancellations (x - mean, 1 + tanh), so these are checked against the
            // output's scale rather than each value.
            float[] bias = random(random, n);
            float[] unitWeight = java.util.Arrays.copyOfRange(weight, offset, offset + n);
            expected = new float[offset + n];
            actual = new float[offset + n];
            REFERENCE.layerNorm(expected, offset, x, offset, unitWeight, bias, n, 1e-5f);
            KERNELS.layerNorm(actual, offset, x, offset, unitWeight, bias, n, 1e-5f);
            assertAbsolute(actual, expected, offset, n, 1e-5, context + " layerNorm");
            expected = x.clone();
            actual = x.clone();
            REFERENCE.gelu(expected, offset, n);
            KERNELS.gelu(actual, offset, n);
            assertAbsolute(actual, expected, offset, n, EXP_TOLERANCE, context + " gelu");
            expected = x.clone();
            actual = x.clone();
            REFERENCE.softcap(expected, offset, n, 2.5f);
            KERNELS.softcap(actual, offset, n, 2.5f);
            assertAbsolute(actual, expected, offset, n, EXP_TOLERANCE, context + " softcap");
        });
    }

    @Test
    void ropeIsBitExactInBothLayouts() {
        long seed = seed(900);
        SplittableRandom random = new SplittableRandom(seed);
        for (int headDim : new int[] {8, 12, 24, 64, 80, 128}) {
            for (int rotaryDims : new int[] {headDim, headDim / 2}) {
                RopeTables tables = RopeTables.compute(40, rotaryDims, 10000);
                for (RopeLayout layout : RopeLayout.values()) {
                    float[] x = random(random, 3 + 3 * headDim);
                    int position = random.nextInt(40);
                    assertSame(replay(seed) + " rope " + layout + " " + headDim + "/" + rotaryDims,
                            (k, v) -> k.rope(v, 3, 3, headDim, rotaryDims, tables.cos(), tables.sin(),
                                    tables.offset(position), layout), x);
                }
            }
        }
    }

    private interface Case {
        void check(SplittableRandom random, int n, int offset, String context);
    }

    private interface Operation {
        void apply(Kernels kernels, float[] values);
    }

    private static void forEachCase(Case test) {
        for (int n : SIZES) {
            for (int offset : OFFSETS) {
                long seed = seed(10_000 + 10 * n + offset);
                test.check(new SplittableRandom(seed), n, offset, "n " + n + " offset " + offset + ", " + replay(seed));
            }
        }
    }

    private static void assertSame(String context, Operation operation, float[] input) {
        float[] expected = input.clone();
        float[] actual = input.clone();
        operation.apply(REFERENCE, expected);
        operation.apply(KERNELS, actual);
        assertThat(actual).as(context).containsExactly(expected);
    }

    private static void assertRelative(float[] actual, float[] expected, int offset, int n, double tolerance,
            String context) {
        for (int i = offset; i < offset + n; i++) {
            assertThat((double) actual[i]).as(context + " at " + i)
                    .isCloseTo(expected[i], within(tolerance * Math.abs(expected[i]) + 1e-30));
        }
    }

    /** Within {@code tolerance} times the largest magnitude of the expected values (1 at least). */
    private static void assertAbsolute(float[] actual, float[] expected, int offset, int n, double tolerance,
            String context) {
        double scale = 1;
        for (int i = offset; i < offset + n; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        for (int i = offset; i < offset + n; i++) {
            assertThat((double) actual[i]).as(context + " at " + i).isCloseTo(expected[i], within(tolerance * scale));
        }
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 3);
        }
        return x;
    }

    /** Random halves, with subnormals, zeros of both signs and infinities mixed in. */
    private static short[] halves(SplittableRandom random, int n) {
        short[] h = new short[n];
        short[] specials = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x7BFF};
        for (int i = 0; i < n; i++) {
            h[i] = random.nextInt(8) == 0 ? specials[random.nextInt(specials.length)]
                    : HalfFloats.toF16((float) random.nextGaussian());
        }
        return h;
    }
}
