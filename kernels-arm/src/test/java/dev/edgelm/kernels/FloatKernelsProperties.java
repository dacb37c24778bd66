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
            short[] h = halves(random, offset + n);
            double magnitude = 0;
            double magnitudeF16 = 0;
            for (int i = offset; i < offset + n; i++) {
                magnitude += Math.abs((double) a[i] * b[i]);
                magnitudeF16 += Math.abs((double) Float.float16ToFloat(h[i]) * b[i]);
            }
            assertThat(KERNELS.dot(a, offset, b, offset, n)).as(context)
                    .isCloseTo(REFERENCE.dot(a, offset, b, offset, n), within((float) (SUM_TOLERANCE * magnitude)));
            assertThat(KERNELS.dotF16(h, offset, b, offset, n)).as(context).isCloseTo(
                    REFERENCE.dotF16(h, offset, b, offset, n), within((float) (SUM_TOLERANCE * magnitudeF16)));
        });
    }

    @Test
    void elementWiseOperationsAreBitExact() {
        forEachCase((random, n, offset, context) -> {
            float[] x = random(random, offset + n);
            float[] y = random(random, offset + n);
            short[] h = halves(random, offset + n);
            float alpha = (float) random.nextGaussian();
            assertSame(context + " axpy", (k, v) -> k.axpy(alpha, x, offset, v, offset, n), y);
            assertSame(context + " axpyF16", (k, v) -> k.axpyF16(alpha, h, offset, v, offset, n), y);
            assertSame(context + " add", (k, v) -> k.add(v, offset, x, offset, n), y);
            assertSame(context + " mul", (k, v) -> k.mul(v, offset, x, offset, n), y);
            assertSame(context + " scale", (k, v) -> k.scale(v, offset, n, alpha), y);
            assertSame(context + " squaredRelu", (k, v) -> k.squaredRelu(v, offset, n), y);
        });
    }

    /**
     * Attention over a Q8_0 cache, each case's size taken as a count of 32-value blocks: scores within sum tolerance,
     * the weighted sum of values bit for bit.
     */
    @Test
    void q8_0CachePiecesMatch() {
        forEachCase((random, blocks, offset, context) -> {
            int n = 32 * blocks;
            byte[] codes = new byte[offset + n];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (byte) random.nextInt(-128, 128);
            }
            float[] scales = random(random, offset + blocks);
            float[] b = random(random, offset + n);
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                magnitude += Math.abs((double) scales[offset + i / 32] * codes[offset + i] * b[offset + i]);
            }
            assertThat(KERNELS.dotQ8_0(codes, offset, scales, offset, b, offset, n)).as(context).isCloseTo(
                    REFERENCE.dotQ8_0(codes, offset, scales, offset, b, offset, n),
                    within((float) (SUM_TOLERANCE * magnitude)));
            float alpha = (float) random.nextGaussian();
            assertSame(context + " axpyQ8_0", (k, v) -> k.axpyQ8_0(alpha, codes, offset, scales, offset, v, offset, n),
                    random(random, offset + n));
        });
    }

    @Test
    void everyHalfWidensExactly() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] actual = new float[all.length];
        KERNELS.axpyF16(1f, all, 0, actual, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            float expected = 0f + Float.float16ToFloat(all[i]);
            assertThat(Float.floatToIntBits(actual[i])).as("half 0x%04x", i).isEqualTo(Float.floatToIntBits(expected));
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
