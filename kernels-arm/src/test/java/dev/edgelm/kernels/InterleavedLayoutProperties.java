package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.RELATIVE_TOLERANCE;
import static dev.edgelm.kernels.KernelTestSupport.SHORT_LE;
import static dev.edgelm.kernels.KernelTestSupport.assertClose;
import static dev.edgelm.kernels.KernelTestSupport.gaussian;
import static dev.edgelm.kernels.KernelTestSupport.integerActivations;
import static dev.edgelm.kernels.KernelTestSupport.magnitudes;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.quantizedMatrix;
import static dev.edgelm.kernels.KernelTestSupport.randomBlocks;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Q4_0 matrices in the interleaved layout ({@link WeightLayout#INTERLEAVED_16}) against the same matrices in the
 * GGUF layout: the layout changes where bytes are, never a result beyond float rounding. Surefire runs this class
 * once per vector width.
 */
class InterleavedLayoutProperties {

    private static final Kernels KERNELS = Kernels.get();
    private static final Kernels REFERENCE = new ScalarKernels();
    private static final BlockFormat Q4_0 = BlockFormat.Q4_0;
    private static final int SEEDS = 4;

    private static WeightMatrix interleave(WeightMatrix w) {
        return RowInterleaving.interleave(w, Arena.ofAuto());
    }

    /** Random bytes, and every block's F16 scale drawn from all 65536 bit patterns: NaNs, infinities, subnormals. */
    @Test
    void everyRowComesBackByteForByte() {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7100 + s);
            SplittableRandom random = new SplittableRandom(seed);
            int rows = 16 * random.nextInt(1, 5);
            int cols = 32 * random.nextInt(1, 12);
            WeightMatrix w = randomBlocks(Q4_0, rows, cols, (short) 0, random);
            for (long b = 0; b < (long) rows * cols / 32; b++) {
                w.data().set(SHORT_LE, b * 18, (short) random.nextInt(1 << 16));
            }
            WeightMatrix interleaved = interleave(w);
            assertThat(interleaved.layout()).isEqualTo(WeightLayout.INTERLEAVED_16);
            assertThat(interleaved.weightBytes()).isEqualTo((long) rows * cols / 32 * 20);
            MemorySegment row = MemorySegment.ofArray(new byte[(int) w.rowBytes()]);
            for (int r = 0; r < rows; r++) {
                RowInterleaving.copyRow(interleaved, r, row);
                MemorySegment original = w.data().asSlice(r * w.rowBytes(), w.rowBytes());
                for (int b = 0; b < cols / 32; b++) {
                    String context = "row " + r + " block " + b + " of " + rows + "x" + cols + ", " + replay(seed);
                    assertThat(row.asSlice(18L * b + 2, 16).toArray(ValueLayout.JAVA_BYTE)).as(context)
                            .isEqualTo(original.asSlice(18L * b + 2, 16).toArray(ValueLayout.JAVA_BYTE));
                    // The same value: only a signalling NaN comes back different (quiet), through the F32 widening.
                    assertThat(Float.floatToIntBits(Float.float16ToFloat(row.get(SHORT_LE, 18L * b)))).as(context)
                            .isEqualTo(Float.floatToIntBits(Float.float16ToFloat(original.get(SHORT_LE, 18L * b))));
                }
            }
        }
    }

    @Test
    void referenceReadsBothLayoutsAlike() {
        SplittableRandom random = new SplittableRandom(seed(7200));
        WeightMatrix w = quantizedMatrix(Q4_0, 32, 96, random);
        QuantizedActivations x = quantize(gaussian(random, 3 * 96), 96);
        float[] rows = new float[32 * 3];
        float[] interleaved = new float[32 * 3];
        REFERENCE.matmul(w, x, rows, 0, 32);
        REFERENCE.matmul(interleave(w), x, interleaved, 0, 32);
        assertThat(interleaved).isEqualTo(rows);
    }

    /** Realistic weights: matvec and dot on the interleaved copy agree with the reference on the original. */
    @Test
    void matvecMatchesReference() {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7300 + s);
            SplittableRandom random = new SplittableRandom(seed);
            int rows = 16 * random.nextInt(1, 5);
            int cols = 32 * random.nextInt(1, 40);
            WeightMatrix w = quantizedMatrix(Q4_0, rows, cols, random);
            QuantizedActivations x = quantize(gaussian(random, cols), cols);
            checkMatvec(w, x, RELATIVE_TOLERANCE, rows + "x" + cols + ", " + replay(seed));
        }
    }

    /** Unit scales and integer activations, including the extreme codes 127 and -127: every result is exact. */
    @Test
    void integerArithmeticIsExact() {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7400 + s);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = randomBlocks(Q4_0, 32, 352, (short) 0x3C00, random);
            QuantizedActivations x = quantize(integerActivations(random, 352 * 7, 127), 352);
            checkMatvec(w, x, 0, "unit scales, " + replay(seed));
            checkMatmul(w, x, 0, "unit scales, " + replay(seed));
        }
    }

    /** All-max and all-min nibbles against all-max activations: the 16-bit sums at their bounds. */
    @ParameterizedTest
    @ValueSource(ints = {0x00, 0xFF, 0x0F, 0xF0, 0x88})
    void extremeNibblesStayExact(int pattern) {
        SplittableRandom random = new SplittableRandom(seed(7500 + pattern));
        WeightMatrix w = randomBlocks(Q4_0, 16, 64, (short) 0x3C00, random);
        for (long b = 0; b < 16 * 2; b++) {
            w.data().asSlice(b * 18 + 2, 16).fill((byte) pattern);
        }
        float[] activations = new float[64 * 2];
        Arrays.fill(activations, 0, 64, 127);
        Arrays.fill(activations, 64, 128, -127);
        QuantizedActivations x = quantize(activations, 64);
        checkMatvec(w, x, 0, "pattern 0x" + Integer.toHexString(pattern));
        checkMatmul(w, x, 0, "pattern 0x" + Integer.toHexString(pattern));
    }

    /** Zero, subnormal, largest and infinite scales. */
    @ParameterizedTest
    @ValueSource(ints = {0x0000, 0x0001, 0x03FF, 0x7BFF, 0xFBFF, 0x7C00})
    void extremeScalesMatchReference(int scale) {
        SplittableRandom random = new SplittableRandom(seed(7600 + scale));
        WeightMatrix w = randomBlocks(Q4_0, 16, 96, (short) scale, random);
        QuantizedActivations x = quantize(gaussian(random, 96 * 7), 96);
        checkMatvec(w, x, RELATIVE_TOLERANCE, "scale 0x" + Integer.toHexString(scale));
        checkMatmul(w, x, RELATIVE_TOLERANCE, "scale 0x" + Integer.toHexString(scale));
    }

    /**
     * Prefill: from {@link VectorMatmul#MIN_COLUMNS} columns both layouts run the same float tiles on the same
     * decoded values in the same order, so they agree bit for bit; below it, each against the reference.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 6, 13, 19})
    void matmulMatchesTheRowLayout(int columns) {
        long seed = seed(7700 + columns);
        SplittableRandom random = new SplittableRandom(seed);
        WeightMatrix w = quantizedMatrix(Q4_0, 80, 160, random);
        QuantizedActivations x = quantize(gaussian(random, columns * 160), 160);
        String context = columns + " columns, " + replay(seed);
        checkMatmul(w, x, RELATIVE_TOLERANCE, context);
        if (columns >= VectorMatmul.MIN_COLUMNS) {
            float[] rows = new float[80 * columns];
            float[] interleaved = new float[80 * columns];
            KERNELS.matmul(w, x, rows, 0, 80);
            KERNELS.matmul(interleave(w), x, interleaved, 0, 80);
            assertThat(interleaved).as(context).isEqualTo(rows);
        }
    }

    /** Row ranges that cut groups and vectors: rows inside get the full product's values, rows outside nothing. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 13})
    void partialRowRangesWriteOnlyTheirRows(int columns) {
        long seed = seed(7800 + columns);
        SplittableRandom random = new SplittableRandom(seed);
        WeightMatrix w = interleave(quantizedMatrix(Q4_0, 80, 96, random));
        QuantizedActivations x = quantize(gaussian(random, columns * 96), 96);
        float[] whole = new float[80 * columns];
        KERNELS.matmul(w, x, whole, 0, 80);
        int[][] ranges = {{5, 37}, {0, 3}, {17, 18}, {20, 80}, {9, 16}, {40, 75}, {47, 49}};
        for (int[] range : ranges) {
            float[] part = new float[80 * columns];
            Arrays.fill(part, Float.NaN);
            if (columns == 1) {
                KERNELS.matvec(w, x, part, range[0], range[1]);
            } else {
                KERNELS.matmul(w, x, part, range[0], range[1]);
            }
            for (int c = 0; c < columns; c++) {
                for (int r = 0; r < 80; r++) {
                    float expected = r >= range[0] && r < range[1] ? whole[c * 80 + r] : Float.NaN;
                    assertThat(Float.floatToIntBits(part[c * 80 + r])).as("rows %s, row %d column %d, %s",
                            Arrays.toString(range), r, c, replay(seed)).isEqualTo(Float.floatToIntBits(expected));
                }
            }
        }
    }

    /** The pool splits interleaved matrices on whole groups, and the thread count changes nothing. */
    @Test
    void poolResultsDoNotDependOnTheThreadCount() {
        SplittableRandom random = new SplittableRandom(seed(7900));
        WeightMatrix w = interleave(quantizedMatrix(Q4_0, 400, 1024, random)); // over the pool's sharing threshold
        QuantizedActivations x = quantize(gaussian(random, 1024), 1024);
        float[] one = new float[400];
        float[] three = new float[400];
        try (ComputePool single = new ComputePool(1); ComputePool pool = new ComputePool(3)) {
            single.matvec(KERNELS, w, x, one);
            pool.matvec(KERNELS, w, x, three);
        }
        assertThat(three).isEqualTo(one);
    }

    @Test
    void vectorKernelsInterleaveWhatTheyCanAndTheReferenceNothing() {
        SplittableRandom random = new SplittableRandom(seed(8000));
        WeightMatrix q4 = quantizedMatrix(Q4_0, 32, 64, random);
        Arena arena = Arena.ofAuto();
        assertThat(REFERENCE.prepare(q4, arena)).isSameAs(q4);
        WeightMatrix prepared = KERNELS.prepare(q4, arena);
        assertThat(prepared.layout()).isEqualTo(KERNELS.vectorBits() == 0 ? WeightLayout.ROWS
                : WeightLayout.INTERLEAVED_16);
        WeightMatrix oddRows = quantizedMatrix(Q4_0, 24, 64, random);
        WeightMatrix q8 = quantizedMatrix(BlockFormat.Q8_0, 32, 64, random);
        assertThat(KERNELS.prepare(oddRows, arena)).isSameAs(oddRows);
        assertThat(KERNELS.prepare(q8, arena)).isSameAs(q8);
        assertThatThrownBy(() -> RowInterleaving.interleave(q8, arena))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0");
    }

    @Test
    void interleavedMatricesAreQ4_0OfWholeGroups() {
        MemorySegment bytes = Arena.ofAuto().allocate(40 * 320);
        assertThatThrownBy(() -> new WeightMatrix(BlockFormat.Q8_0, bytes, 16, 32, WeightLayout.INTERLEAVED_16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0");
        assertThatThrownBy(() -> new WeightMatrix(Q4_0, bytes, 24, 32, WeightLayout.INTERLEAVED_16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("24");
        assertThatThrownBy(() -> new WeightMatrix(Q4_0, bytes, 16, 32 * 41, WeightLayout.INTERLEAVED_16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs");
        assertThat(new WeightMatrix(Q4_0, bytes, 16, 32 * 40, WeightLayout.INTERLEAVED_16).weightBytes())
                .isEqualTo(40 * 320);
    }

    /**
     * The kernels on the interleaved copy of {@code w} against the reference on {@code w}: matvec on column 0, and
     * dot, which must equal it, on every column.
     */
    private static void checkMatvec(WeightMatrix w, QuantizedActivations x, double relative, String context) {
        WeightMatrix interleaved = interleave(w);
        int rows = w.rows();
        float[] expected = new float[rows * x.columns()];
        float[] actual = new float[rows];
        REFERENCE.matmul(w, x, expected, 0, rows);
        KERNELS.matvec(interleaved, x, actual, 0, rows);
        for (int c = 0; c < x.columns(); c++) {
            double[] magnitudes = magnitudes(w, x, c);
            for (int r = 0; r < rows; r++) {
                float dot = KERNELS.dot(interleaved, r, x, c);
                assertClose(dot, expected[c * rows + r], relative * magnitudes[r], context + ", dot row " + r
                        + " column " + c);
                if (c == 0) {
                    assertThat(Float.floatToIntBits(actual[r])).as(context + ", matvec row " + r)
                            .isEqualTo(Float.floatToIntBits(dot));
                }
            }
        }
    }

    private static void checkMatmul(WeightMatrix w, QuantizedActivations x, double relative, String context) {
        KernelTestSupport.checkMatmul(w, interleave(w), x, relative, context);
    }
}
