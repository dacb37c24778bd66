package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.RELATIVE_TOLERANCE;
import static dev.edgelm.kernels.KernelTestSupport.assertClose;
import static dev.edgelm.kernels.KernelTestSupport.gaussian;
import static dev.edgelm.kernels.KernelTestSupport.integerActivations;
import static dev.edgelm.kernels.KernelTestSupport.magnitudes;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.quantizedMatrix;
import static dev.edgelm.kernels.KernelTestSupport.randomBlocks;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.rowUnit;
import static dev.edgelm.kernels.KernelTestSupport.seed;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The configured kernels ({@link Kernels#get()}, at whatever width this test run selected) against the scalar
 * reference, for every weight format, on seeded random data. Surefire runs this class once per width.
 */
class KernelConformanceProperties {

    private static final Kernels KERNELS = Kernels.get();
    private static final Kernels REFERENCE = new ScalarKernels();
    private static final int SEEDS = 3;
    /** F16 bits of 1.0: with unit scales the integer arithmetic is checked exactly. */
    private static final short ONE = 0x3C00;

    static BlockFormat[] formats() {
        return KernelTestSupport.WEIGHT_FORMATS;
    }

    /** Realistic weights (random Gaussians through the reference quantizer): matvec within float tolerance. */
    @ParameterizedTest
    @MethodSource("formats")
    void matvecMatchesReferenceWithinTolerance(BlockFormat format) {
        int unit = rowUnit(format);
        int[][] shapes = {{1, unit}, {7, 3 * unit}, {33, 5 * unit}, {5, 9 * unit}};
        for (int s = 0; s < SEEDS; s++) {
            for (int[] shape : shapes) {
                long seed = seed(1000 * format.ordinal() + 10 * s + shape[1] / unit);
                SplittableRandom random = new SplittableRandom(seed);
                WeightMatrix w = quantizedMatrix(format, shape[0], shape[1], random);
                QuantizedActivations x = quantize(gaussian(random, shape[1]), shape[1]);
                checkMatvec(w, x, RELATIVE_TOLERANCE, format + " " + shape[0] + "x" + shape[1] + ", " + replay(seed));
            }
        }
    }

    /** Random block bytes with unit scales and integer activations: every result is exact. */
    @ParameterizedTest
    @MethodSource("formats")
    void integerArithmeticIsExact(BlockFormat format) {
        int cols = exactCols(format);
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(2000 * format.ordinal() + s);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = randomBlocks(format, 9, cols, ONE, random);
            QuantizedActivations x = quantize(integerActivations(random, cols * 19, 6), cols);
            String context = format + " 9x" + cols + ", " + replay(seed);
            checkMatvec(w, x, 0, context);
            checkMatmul(w, x, 0, context);
        }
    }

    /**
     * Extreme blocks: all-max, all-zero and sign-bit byte patterns as well as random ones, with zero,
     * subnormal, largest and infinite F16 scales.
     */
    @ParameterizedTest
    @MethodSource("formats")
    void extremeBlocksMatchReference(BlockFormat format) {
        if (format == BlockFormat.F32 || format == BlockFormat.F16 || format == BlockFormat.BF16) {
            return; // no scales; their extreme values are the float kernels' and codecs' concern
        }
        int cols = exactCols(format);
        short[] scales = {0x0000, 0x0001, 0x03FF, 0x7BFF, (short) 0xFBFF, 0x7C00};
        int[] patterns = {-1, 0xFF, 0x00, 0x80, 0x88};
        for (short scale : scales) {
            for (int pattern : patterns) {
                long seed = seed(3000 * format.ordinal() + scale + pattern);
                SplittableRandom random = new SplittableRandom(seed);
                WeightMatrix w = randomBlocks(format, 3, cols, scale, random);
                if (pattern >= 0) {
                    fillBlockCodes(w, (byte) pattern, scale);
                }
                QuantizedActivations x = quantize(gaussian(random, cols * 13), cols);
                String context = format + " scale 0x" + Integer.toHexString(scale & 0xFFFF) + " pattern "
                        + pattern + ", " + replay(seed);
                checkMatvec(w, x, RELATIVE_TOLERANCE, context);
                checkMatmul(w, x, RELATIVE_TOLERANCE, context);
            }
        }
    }

    /** Prefill: several columns at once agree with the reference, column by column. */
    @ParameterizedTest
    @MethodSource("formats")
    void matmulMatchesReferenceWithinTolerance(BlockFormat format) {
        int unit = rowUnit(format);
        // Below VectorMatmul.MIN_COLUMNS the vector kernels decode and dot; from it on, they multiply float tiles:
        // 13 to 101 columns fill four-, two- and one-vector tiles, wholly and partly, at every width (four-vector
        // tiles at 128 and 512 bits, VectorMatmul.TILE_VECTORS), and 11 rows leave a partial row tile.
        for (int columns : new int[] {1, 2, 5, VectorMatmul.MIN_COLUMNS, 13, 19, 27, 61, 101}) {
            long seed = seed(4000 * format.ordinal() + columns);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = quantizedMatrix(format, 11, 3 * unit, random);
            QuantizedActivations x = quantize(gaussian(random, columns * 3 * unit), 3 * unit);
            checkMatmul(w, x, RELATIVE_TOLERANCE, format + " " + columns + " columns, " + replay(seed));
        }
    }

    /**
     * Rows longer than {@link VectorMatmul#K_BLOCK}, by a partial block: the tiles resume from the partial sums of
     * the blocks before. 27 and 101 columns run every tile width at every vector width.
     */
    @ParameterizedTest
    @MethodSource("formats")
    void matmulOfRowsLongerThanAValueBlock(BlockFormat format) {
        int unit = rowUnit(format);
        int cols = (2 * VectorMatmul.K_BLOCK / unit + 1) * unit;
        for (int columns : new int[] {27, 101}) {
            long seed = seed(4500 * format.ordinal() + columns);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = quantizedMatrix(format, 11, cols, random);
            QuantizedActivations x = quantize(gaussian(random, columns * cols), cols);
            checkMatmul(w, x, RELATIVE_TOLERANCE, format + " " + columns + " columns, " + replay(seed));
        }
    }

    /**
     * A single dot product reads the activation column it is given: the fused loops offset every activation
     * index, scale and sum by the column, which matrix-vector products (column 0) never exercise.
     */
    @ParameterizedTest
    @MethodSource("formats")
    void dotReadsTheGivenColumn(BlockFormat format) {
        int cols = 3 * rowUnit(format);
        long seed = seed(5000 * format.ordinal());
        SplittableRandom random = new SplittableRandom(seed);
        WeightMatrix w = quantizedMatrix(format, 3, cols, random);
        QuantizedActivations x = quantize(gaussian(random, 4 * cols), cols);
        for (int c = 0; c < x.columns(); c++) {
            double[] magnitudes = magnitudes(w, x, c);
            for (int r = 0; r < w.rows(); r++) {
                assertClose(KERNELS.dot(w, r, x, c), REFERENCE.dot(w, r, x, c), RELATIVE_TOLERANCE * magnitudes[r],
                        format + " row " + r + " column " + c + ", " + replay(seed));
            }
        }
    }

    /** Row lengths for exact checks: a few blocks, small enough that every float sum stays below 2^24. */
    private static int exactCols(BlockFormat format) {
        return switch (format.blockSize()) {
            case 256 -> 256;
            case 128 -> 384;
            default -> 352;
        };
    }

    /** Overwrites every byte of the blocks but their scale fields (and the I2_S trailer) with {@code value}. */
    private static void fillBlockCodes(WeightMatrix w, byte value, short scale) {
        BlockFormat format = w.format();
        MemorySegment data = w.data();
        data.asSlice(0, w.weightBytes()).fill(value);
        if (format == BlockFormat.I2_S) {
            return;
        }
        for (long b = 0; b < w.weightBytes() / format.blockBytes(); b++) {
            for (int offset : KernelTestSupport.scaleOffsets(format)) {
                data.set(KernelTestSupport.SHORT_LE, b * format.blockBytes() + offset, scale);
            }
        }
    }

    private static void checkMatvec(WeightMatrix w, QuantizedActivations x, double relative, String context) {
        float[] expected = new float[w.rows()];
        float[] actual = new float[w.rows()];
        REFERENCE.matvec(w, x, expected, 0, w.rows());
        KERNELS.matvec(w, x, actual, 0, w.rows());
        double[] magnitudes = magnitudes(w, x, 0);
        for (int r = 0; r < w.rows(); r++) {
            assertClose(actual[r], expected[r], relative * magnitudes[r], context + ", row " + r);
            assertClose(KERNELS.dot(w, r, x, 0), expected[r], relative * magnitudes[r], context + ", dot row " + r);
        }
    }

    private static void checkMatmul(WeightMatrix w, QuantizedActivations x, double relative, String context) {
        KernelTestSupport.checkMatmul(w, w, x, relative, context);
    }
}
