package dev.edgelm.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.HalfFloats;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded data and comparisons shared by the kernel tests. */
final class KernelTestSupport {

    /** Base of every random test's seeds; override with {@code -Dedgelm.test.seed=N} to explore other data. */
    static final long BASE_SEED = Long.getLong("edgelm.test.seed", 0x5EED_2026L);

    /** The weight formats (every block format but the two activation formats). */
    static final BlockFormat[] WEIGHT_FORMATS = Arrays.stream(BlockFormat.values())
            .filter(f -> f != BlockFormat.Q8_1 && f != BlockFormat.Q8_K)
            .toArray(BlockFormat[]::new);

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Relative tolerance of a float kernel against the double reference, as a fraction of {@code sum |w_i a_i|}:
     * float accumulation of a few thousand per-block terms stays far below it.
     */
    static final double RELATIVE_TOLERANCE = 1e-5;

    private KernelTestSupport() {}

    static long seed(int index) {
        return BASE_SEED * 1_000_003L + index;
    }

    static String replay(long seed) {
        return "seed " + seed + " (base -Dedgelm.test.seed=" + BASE_SEED + "), kernels " + Kernels.get().name();
    }

    /** Smallest row length valid for the format (a whole block, and a whole Q8_0 block for float formats). */
    static int rowUnit(BlockFormat format) {
        return Math.max(format.blockSize(), 32);
    }

    /** Gaussian values with a per-row spread, so block scales vary. */
    static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (nextGaussian(random) * (0.1 + (i / 97) % 5));
        }
        return x;
    }

    static double nextGaussian(SplittableRandom random) {
        return random.nextGaussian();
    }

    /** A matrix of realistic quantized weights: random Gaussians through the reference quantizer. */
    static WeightMatrix quantizedMatrix(BlockFormat format, int rows, int cols, SplittableRandom random) {
        MemorySegment data = Arena.ofAuto().allocate(format.tensorBytes(rows, cols));
        Quantization.quantize(format, gaussian(random, rows * cols), cols, data);
        return new WeightMatrix(format, data, rows, cols);
    }

    /**
     * A matrix of random block bytes (every code value, all nibble and bit patterns) whose scale fields are all
     * set to {@code scaleBits} (F16 bits; the float32 bit pattern of the same value for I2_S). Float formats get
     * random integers, which keep products exact.
     */
    static WeightMatrix randomBlocks(BlockFormat format, int rows, int cols, short scaleBits,
            SplittableRandom random) {
        MemorySegment data = Arena.ofAuto().allocate(format.tensorBytes(rows, cols));
        switch (format) {
            case F32, F16, BF16 -> {
                float[] values = new float[rows * cols];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextInt(-64, 65);
                }
                Quantization.quantize(format, values, cols, data);
                return new WeightMatrix(format, data, rows, cols);
            }
            default -> {
                for (long i = 0; i < data.byteSize(); i++) {
                    data.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
                }
            }
        }
        if (format == BlockFormat.I2_S) {
            data.set(FLOAT_LE, rows * format.rowBytes(cols), HalfFloats.fromF16(scaleBits));
            return new WeightMatrix(format, data, rows, cols);
        }
        long blocks = format.tensorBytes(rows, cols) / format.blockBytes();
        for (long b = 0; b < blocks; b++) {
            for (int offset : scaleOffsets(format)) {
                data.set(SHORT_LE, b * format.blockBytes() + offset, scaleBits);
            }
        }
        return new WeightMatrix(format, data, rows, cols);
    }

    /** Byte offsets of the F16 scale (and minimum) fields within a block. */
    static int[] scaleOffsets(BlockFormat format) {
        return switch (format) {
            case Q4_0, Q5_0, Q8_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case TQ1_0 -> new int[] {52};
            case TQ2_0 -> new int[] {64};
            default -> throw new IllegalArgumentException(format.toString());
        };
    }

    /**
     * Activations whose Q8_0 and Q8_K scales are exactly 1: integers in [-small, small], with a 127 or -127
     * opening every 32 values, so all integer products and their sums stay exact in float.
     */
    static float[] integerActivations(SplittableRandom random, int n, int small) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 32 == 0 ? (random.nextBoolean() ? 127 : -127) : random.nextInt(-small, small + 1);
        }
        return x;
    }

    static QuantizedActivations quantize(float[] x, int length) {
        QuantizedActivations activations = QuantizedActivations.allocate(length, x.length / length);
        activations.quantize(x, 0, x.length / length);
        return activations;
    }

    /** {@code sum |w_i| |a_i|} per row of {@code w}, with activation column {@code column}, for tolerances. */
    static double[] magnitudes(WeightMatrix w, QuantizedActivations x, int column) {
        float[] weights = Quantization.dequantize(w.format(), w.data(), w.rows(), w.cols());
        double[] sums = new double[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            for (int i = 0; i < w.cols(); i++) {
                sums[r] += Math.abs((double) weights[r * w.cols() + i] * x.values[column * w.cols() + i]);
            }
        }
        return sums;
    }

    /**
     * The configured kernels' matrix-matrix product of {@code tested} against the scalar reference's of
     * {@code reference} (the same weights, possibly in another layout), column by column, within {@code relative}
     * of each row's sum of magnitudes (exactly when it is 0).
     */
    static void checkMatmul(WeightMatrix reference, WeightMatrix tested, QuantizedActivations x, double relative,
            String context) {
        int rows = reference.rows();
        float[] expected = new float[rows * x.columns()];
        float[] actual = new float[rows * x.columns()];
        new ScalarKernels().matmul(reference, x, expected, 0, rows);
        Kernels.get().matmul(tested, x, actual, 0, rows);
        for (int c = 0; c < x.columns(); c++) {
            double[] magnitudes = magnitudes(reference, x, c);
            for (int r = 0; r < rows; r++) {
                int at = c * rows + r;
                assertClose(actual[at], expected[at], relative * magnitudes[r],
                        context + ", matmul row " + r + " column " + c);
            }
        }
    }

    /**
     * Asserts a float kernel result against the reference: equal when both are non-finite in the same way
     * (NaN, or infinities of one sign) or when {@code tolerance} is 0; otherwise within {@code tolerance}.
     */
    static void assertClose(float actual, float expected, double tolerance, String context) {
        if (!Float.isFinite(expected) || !Float.isFinite(actual)) {
            // Infinite scales: the order of operations decides between an infinity and NaN.
            assertThat(Float.isFinite(actual)).as(context + ": expected " + expected + ", got " + actual)
                    .isEqualTo(Float.isFinite(expected));
            return;
        }
        if (tolerance == 0) {
            assertThat(actual).as(context).isEqualTo(expected);
        } else {
            assertThat((double) actual).as(context).isCloseTo(expected, org.assertj.core.data.Offset.offset(tolerance));
        }
    }
}
