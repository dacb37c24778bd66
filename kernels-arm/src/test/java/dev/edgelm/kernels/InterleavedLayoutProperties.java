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
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Matrices in the interleaved layout ({@link WeightLayout#INTERLEAVED_16}), of every format that has one, against
 * the same matrices in the GGUF layout: the layout changes where bytes are, never a result beyond float rounding.
 * The cases at the bounds of the integer arithmetic of Q4_0, Q5_0, Q8_0 and the ternary formats are here too, Q6_K's in
 * {@link InterleavedQ6KProperties} and Q4_K's in {@link InterleavedQ4KProperties}. Surefire runs this class once
 * per vector width.
 */
class InterleavedLayoutProperties {

    private static final Kernels KERNELS = Kernels.get();
    private static final Kernels REFERENCE = new ScalarKernels();
    private static final BlockFormat Q4_0 = BlockFormat.Q4_0;
    private static final int SEEDS = 4;

    /** The formats with an interleaved layout. */
    static Stream<BlockFormat> interleavedFormats() {
        return Arrays.stream(BlockFormat.values()).filter(format -> UnitLayout.of(format) != null);
    }

    private static WeightMatrix interleave(WeightMatrix w) {
        return RowInterleaving.interleave(w, Arena.ofAuto());
    }

    /**
     * Random bytes with random finite scales (for TQ1_0, random trits in canonical bytes: see
     * {@link #tq1BytesComeBackCanonical} for the others): every row, and the trailer, comes back exactly as it was.
     */
    @ParameterizedTest
    @MethodSource("interleavedFormats")
    void everyRowComesBackByteForByte(BlockFormat format) {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7050 + s);
            SplittableRandom random = new SplittableRandom(seed);
            int rows = 16 * random.nextInt(1, 5);
            int cols = format.blockSize() * random.nextInt(1, 6);
            short scale = (short) (random.nextInt(0x7C00) | (random.nextBoolean() ? 0x8000 : 0));
            WeightMatrix w = canonicalBlocks(format, rows, cols, scale, random);
            WeightMatrix interleaved = interleave(w);
            assertThat(interleaved.weightBytes())
                    .isEqualTo(RowInterleaving.interleavedBytes(w) - format.tensorTrailerBytes())
                    .isEqualTo((long) rows / 16 * (cols / format.blockSize()) * UnitLayout.of(format).unitBytes());
            assertThat(interleaved.tensorScale()).isEqualTo(w.tensorScale());
            MemorySegment row = MemorySegment.ofArray(new byte[(int) w.rowBytes()]);
            for (int r = 0; r < rows; r++) {
                RowInterleaving.copyRow(interleaved, r, row);
                assertThat(row.toArray(ValueLayout.JAVA_BYTE)).as("row %d of %dx%d, %s", r, rows, cols, replay(seed))
                        .isEqualTo(w.data().asSlice(r * w.rowBytes(), w.rowBytes()).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /**
     * {@link KernelTestSupport#randomBlocks}, but TQ2_0's and I2_S's code 3 made 1 (for I2_S the same value, 0):
     * matrices that hold it are not interleaved ({@link #ternaryCode3KeepsTheRowLayout}).
     */
    private static WeightMatrix interleavableBlocks(BlockFormat format, int rows, int cols, short scaleBits,
            SplittableRandom random) {
        WeightMatrix w = randomBlocks(format, rows, cols, scaleBits, random);
        if (format == BlockFormat.TQ2_0 || format == BlockFormat.I2_S) {
            for (long i = 0; i < w.weightBytes(); i++) {
                if (isCodeByte(format, i)) {
                    int b = w.data().get(ValueLayout.JAVA_BYTE, i);
                    w.data().set(ValueLayout.JAVA_BYTE, i, (byte) (b & ~((b & b >> 1 & 0x55) << 1)));
                }
            }
        }
        return w;
    }

    /** Whether byte {@code i} of a TQ2_0 or I2_S matrix holds codes: all of I2_S's, TQ2_0's but its F16 scales. */
    private static boolean isCodeByte(BlockFormat format, long i) {
        return format == BlockFormat.I2_S || i % format.blockBytes() < format.blockBytes() - 2;
    }

    /**
     * {@link #interleavableBlocks}, and TQ1_0 blocks hold random trits in the bytes llama.cpp's quantizer writes
     * (quantized from ternary values, then given {@code scaleBits}): the only bytes that come back as they are,
     * since TQ1_0 is stored as trits.
     */
    private static WeightMatrix canonicalBlocks(BlockFormat format, int rows, int cols, short scaleBits,
            SplittableRandom random) {
        WeightMatrix w = interleavableBlocks(format, rows, cols, scaleBits, random);
        if (format == BlockFormat.TQ1_0) {
            float[] trits = new float[rows * cols];
            for (int i = 0; i < trits.length; i++) {
                trits[i] = random.nextInt(-1, 2);
            }
            Quantization.quantize(format, trits, cols, w.data());
            for (long b = 0; b < (long) rows * cols / 256; b++) {
                w.data().set(SHORT_LE, b * 54 + 52, scaleBits);
            }
        }
        return w;
    }

    /**
     * TQ1_0 bytes of every value 0 to 255, in the 5-trit and the 4-trit places: each comes back as the canonical
     * byte of the same trits (what the reference quantizer writes for the values it decodes to), so that the
     * values never change.
     */
    @Test
    void tq1BytesComeBackCanonical() {
        BlockFormat tq1 = BlockFormat.TQ1_0;
        SplittableRandom random = new SplittableRandom(seed(7060));
        WeightMatrix w = randomBlocks(tq1, 16, 4 * 256, (short) 0x3C00, random); // unit scales: values are trits
        int fiveTrits = 0;
        int fourTrits = 0;
        for (long b = 0; b < 16 * 4; b++) {
            for (int p = 0; p < 52; p++) {
                w.data().set(ValueLayout.JAVA_BYTE, b * 54 + p, (byte) (p < 48 ? fiveTrits++ : fourTrits++));
            }
        }
        assertThat(fourTrits).isEqualTo(256); // and fiveTrits 12 times as many: every byte in both places
        WeightMatrix interleaved = interleave(w);
        float[] values = Quantization.dequantize(tq1, w.data(), 16, 4 * 256);
        MemorySegment canonical = Arena.ofAuto().allocate(tq1.tensorBytes(16, 4 * 256));
        Quantization.quantize(tq1, values, 4 * 256, canonical);
        MemorySegment row = MemorySegment.ofArray(new byte[(int) w.rowBytes()]);
        int changed = 0;
        for (int r = 0; r < 16; r++) {
            RowInterleaving.copyRow(interleaved, r, row);
            for (int b = 0; b < 4; b++) {
                long block = r * w.rowBytes() + 54L * b;
                assertThat(row.asSlice(54L * b, 52).toArray(ValueLayout.JAVA_BYTE)).as("row %d block %d", r, b)
                        .isEqualTo(canonical.asSlice(block, 52).toArray(ValueLayout.JAVA_BYTE));
                assertThat(row.get(SHORT_LE, 54L * b + 52)).isEqualTo(w.data().get(SHORT_LE, block + 52));
                for (int p = 0; p < 52; p++) {
                    changed += row.get(ValueLayout.JAVA_BYTE, 54L * b + p) != w.data().get(ValueLayout.JAVA_BYTE,
                            block + p) ? 1 : 0;
                }
            }
        }
        assertThat(changed).as("non-canonical bytes among all 256").isPositive();
    }

    /** Random bytes, and every block's F16 scale drawn from all 65536 bit patterns: NaNs, infinities, subnormals. */
    @Test
    void q4_0ScalesOfEveryBitPatternComeBack() {
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

    @ParameterizedTest
    @MethodSource("interleavedFormats")
    void referenceReadsBothLayoutsAlike(BlockFormat format) {
        SplittableRandom random = new SplittableRandom(seed(7200));
        int cols = 3 * format.blockSize();
        WeightMatrix w = quantizedMatrix(format, 32, cols, random);
        QuantizedActivations x = quantize(gaussian(random, 3 * cols), cols);
        float[] rows = new float[32 * 3];
        float[] interleaved = new float[32 * 3];
        REFERENCE.matmul(w, x, rows, 0, 32);
        REFERENCE.matmul(interleave(w), x, interleaved, 0, 32);
        assertThat(interleaved).isEqualTo(rows);
    }

    /** Realistic weights: matvec and dot on the interleaved copy agree with the reference on the original. */
    @ParameterizedTest
    @MethodSource("interleavedFormats")
    void matvecMatchesReference(BlockFormat format) {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7300 + s);
            SplittableRandom random = new SplittableRandom(seed);
            int rows = 16 * random.nextInt(1, 5);
            int cols = format.blockSize() * random.nextInt(1, 5 * 256 / format.blockSize());
            WeightMatrix w = quantizedMatrix(format, rows, cols, random);
            QuantizedActivations x = quantize(gaussian(random, cols), cols);
            checkMatvec(w, x, RELATIVE_TOLERANCE, rows + "x" + cols + ", " + replay(seed));
        }
    }

    /**
     * Unit scales and integer activations, including the extreme codes 127 and -127: every result is exact. Not for
     * the K-quants, whose integer sub-block scales take random rows' sums past float's 24 bits (their exact cases
     * are in their own classes).
     */
    @ParameterizedTest
    @MethodSource("formatsWithoutSubBlockScales")
    void integerArithmeticIsExact(BlockFormat format) {
        int cols = 11 * format.blockSize();
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(7400 + s);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = interleavableBlocks(format, 48, cols, (short) 0x3C00, random);
            QuantizedActivations x = quantize(integerActivations(random, cols * 7, 127), cols);
            checkMatvec(w, x, 0, format + " unit scales, " + replay(seed));
            checkMatmul(w, x, 0, format + " unit scales, " + replay(seed));
        }
    }

    /**
     * Every bit after the scale set to one pattern (Q4_0's nibbles; Q5_0's fifth bits and nibbles; Q8_0's codes, all
     * -128 for 0x80, all 127 for 0x7F) against activations all 127 (column 0) and all -127 (column 1): the 16-bit
     * sums at their bounds (Q8_0's reach 2 x 128 x 127 = 32512).
     */
    @ParameterizedTest
    @MethodSource("legacyFormatsAndPatterns")
    void extremeCodesStayExact(BlockFormat format, int pattern) {
        SplittableRandom random = new SplittableRandom(seed(7500 + pattern));
        WeightMatrix w = randomBlocks(format, 16, 64, (short) 0x3C00, random);
        for (long b = 0; b < 16 * 2; b++) {
            w.data().asSlice(b * format.blockBytes() + 2, format.blockBytes() - 2).fill((byte) pattern);
        }
        float[] activations = new float[64 * 2];
        Arrays.fill(activations, 0, 64, 127);
        Arrays.fill(activations, 64, 128, -127);
        QuantizedActivations x = quantize(activations, 64);
        checkMatvec(w, x, 0, format + " pattern 0x" + Integer.toHexString(pattern));
        checkMatmul(w, x, 0, format + " pattern 0x" + Integer.toHexString(pattern));
    }

    /**
     * Ternary code bytes all one pattern: TQ2_0 and I2_S codes all 0, 1 or 2 (2, the largest product: the field
     * sums then reach their bounds), and mixed; TQ1_0 bytes whose trits are all 0
     * (0x00) or all 2 (0xFF), and others. Against activations all 127 and all -127 (columns alternate; six of them
     * reach the tiled product): the 16-bit sums at their bounds, exact with unit scales. 48 rows, so that a product
     * of two vectors of rows has a last vector past the end at every width.
     */
    @ParameterizedTest
    @MethodSource("ternaryFormatsAndPatterns")
    void extremeTernaryCodesStayExact(BlockFormat format, int pattern) {
        SplittableRandom random = new SplittableRandom(seed(7550 + pattern));
        WeightMatrix w = randomBlocks(format, 48, 512, (short) 0x3C00, random);
        // The code bytes: all of an I2_S block, all but the F16 scale at the end of a TQ block.
        int codeBytes = format == BlockFormat.I2_S ? format.blockBytes() : format.blockBytes() - 2;
        for (long b = 0; b < 48 * 512 / format.blockSize(); b++) {
            w.data().asSlice(b * format.blockBytes(), codeBytes).fill((byte) pattern);
        }
        float[] activations = new float[512 * 6];
        for (int c = 0; c < 6; c++) {
            Arrays.fill(activations, 512 * c, 512 * (c + 1), c % 2 == 0 ? 127 : -127);
        }
        QuantizedActivations x = quantize(activations, 512);
        String context = format + " pattern 0x" + Integer.toHexString(pattern);
        checkMatvec(w, x, 0, context);
        checkMatmul(w, x, 0, context);
    }

    /** TQ2_0 and I2_S without the patterns that hold code 3, which stay in the row layout. */
    static Stream<Arguments> ternaryFormatsAndPatterns() {
        return Stream.of(BlockFormat.TQ1_0, BlockFormat.TQ2_0, BlockFormat.I2_S).flatMap(format -> IntStream.of(
                0x00, 0x55, 0xAA, 0xFF, 0x1B, 0xE4, 0x86)
                .filter(pattern -> format == BlockFormat.TQ1_0 || (pattern & pattern >> 1 & 0x55) == 0)
                .mapToObj(pattern -> Arguments.of(format, pattern)));
    }

    /**
     * One TQ2_0 or I2_S code 3 anywhere (which no quantizer writes, and the interleaved kernel's sums are not
     * bounded for) keeps a matrix in the row layout, whose kernels read it as llama.cpp (TQ2_0) and BitNet (I2_S)
     * do; without it, the same matrix is interleaved.
     */
    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ2_0", "I2_S"})
    void ternaryCode3KeepsTheRowLayout(BlockFormat format) {
        SplittableRandom random = new SplittableRandom(seed(7560));
        Arena arena = Arena.ofAuto();
        for (int s = 0; s < SEEDS; s++) {
            WeightMatrix w = interleavableBlocks(format, 32, 3 * 256, (short) 0x3C00, random);
            assertThat(RowInterleaving.canInterleave(w)).isTrue();
            long at = random.nextLong(w.weightBytes());
            while (!isCodeByte(format, at)) {
                at = random.nextLong(w.weightBytes());
            }
            int shift = 2 * random.nextInt(4);
            w.data().set(ValueLayout.JAVA_BYTE, at, (byte) (w.data().get(ValueLayout.JAVA_BYTE, at) | 3 << shift));
            assertThat(RowInterleaving.canInterleave(w)).as("code 3 at byte %d shift %d", at, shift).isFalse();
            assertThat(KERNELS.prepare(w, arena)).isSameAs(w);
            assertThatThrownBy(() -> RowInterleaving.interleave(w, arena))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("code 3");
            w.data().set(ValueLayout.JAVA_BYTE, at, (byte) (w.data().get(ValueLayout.JAVA_BYTE, at) & ~(2 << shift)));
            assertThat(RowInterleaving.canInterleave(w)).isTrue();
        }
    }

    static Stream<BlockFormat> formatsWithoutSubBlockScales() {
        return interleavedFormats().filter(format -> format != BlockFormat.Q4_K && format != BlockFormat.Q6_K);
    }

    /** The 32-value formats with one F16 scale first in the block. */
    static Stream<BlockFormat> legacyFormats() {
        return Stream.of(Q4_0, BlockFormat.Q5_0, BlockFormat.Q8_0);
    }

    static Stream<Arguments> legacyFormatsAndPatterns() {
        return legacyFormats().flatMap(format -> IntStream.of(0x00, 0xFF, 0x0F, 0xF0, 0x88, 0x55, 0x80, 0x7F, 0x81)
                .mapToObj(pattern -> Arguments.of(format, pattern)));
    }

    /** Zero, subnormal, largest and infinite scales. */
    @ParameterizedTest
    @MethodSource("formatsAndExtremeScales")
    void extremeScalesMatchReference(BlockFormat format, int scale) {
        SplittableRandom random = new SplittableRandom(seed(7600 + scale));
        int cols = 3 * format.blockSize();
        WeightMatrix w = interleavableBlocks(format, 16, cols, (short) scale, random);
        QuantizedActivations x = quantize(gaussian(random, cols * 7), cols);
        checkMatvec(w, x, RELATIVE_TOLERANCE, format + " scale 0x" + Integer.toHexString(scale));
        checkMatmul(w, x, RELATIVE_TOLERANCE, format + " scale 0x" + Integer.toHexString(scale));
    }

    static Stream<Arguments> formatsAndExtremeScales() {
        return interleavedFormats().flatMap(format -> IntStream.of(0x0000, 0x0001, 0x03FF, 0x7BFF, 0xFBFF, 0x7C00)
                .mapToObj(scale -> Arguments.of(format, scale)));
    }

    /**
     * Prefill: from {@link VectorMatmul#MIN_COLUMNS} columns both layouts run the same float tiles on the same
     * decoded values in the same order, so they agree bit for bit; below it, each against the reference. Rows are
     * longer than two {@link VectorMatmul#K_BLOCK}s, by a partial block.
     */
    @ParameterizedTest
    @MethodSource("formatsAndColumns")
    void matmulMatchesTheRowLayout(BlockFormat format, int columns) {
        long seed = seed(7700 + columns);
        SplittableRandom random = new SplittableRandom(seed);
        int cols = (2 * VectorMatmul.K_BLOCK / format.blockSize() + 1) * format.blockSize();
        WeightMatrix w = quantizedMatrix(format, 80, cols, random);
        QuantizedActivations x = quantize(gaussian(random, columns * cols), cols);
        String context = format + ", " + columns + " columns, " + replay(seed);
        checkMatmul(w, x, RELATIVE_TOLERANCE, context);
        if (columns >= VectorMatmul.MIN_COLUMNS) {
            checkMatmulMatchesRows(w, x, context);
        }
    }

    static Stream<Arguments> formatsAndColumns() {
        return interleavedFormats().flatMap(format -> IntStream.of(1, 2, 5, 6, 13, 19, 27, 61, 101)
                .mapToObj(columns -> Arguments.of(format, columns)));
    }

    /** Row ranges that cut groups and vectors: rows inside get the full product's values, rows outside nothing. */
    @ParameterizedTest
    @MethodSource("formatsAndColumns")
    void partialRowRangesWriteOnlyTheirRows(BlockFormat format, int columns) {
        long seed = seed(7800 + columns);
        SplittableRandom random = new SplittableRandom(seed);
        int cols = 3 * format.blockSize();
        WeightMatrix w = interleave(quantizedMatrix(format, 80, cols, random));
        QuantizedActivations x = quantize(gaussian(random, columns * cols), cols);
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
                    assertThat(Float.floatToIntBits(part[c * 80 + r])).as("%s rows %s, row %d column %d, %s",
                            format, Arrays.toString(range), r, c, replay(seed))
                            .isEqualTo(Float.floatToIntBits(expected));
                }
            }
        }
    }

    /** The pool splits interleaved matrices on whole groups, and the thread count changes nothing. */
    @ParameterizedTest
    @MethodSource("interleavedFormats")
    void poolResultsDoNotDependOnTheThreadCount(BlockFormat format) {
        SplittableRandom random = new SplittableRandom(seed(7900));
        WeightMatrix w = interleave(quantizedMatrix(format, 400, 1024, random)); // over the pool's sharing threshold
        QuantizedActivations x = quantize(gaussian(random, 27 * 1024), 1024);
        float[] one = new float[400];
        float[] three = new float[400];
        float[] oneMatmul = new float[400 * 27];
        float[] threeMatmul = new float[400 * 27];
        try (ComputePool single = new ComputePool(1); ComputePool pool = new ComputePool(3)) {
            single.matvec(KERNELS, w, x, one);
            pool.matvec(KERNELS, w, x, three);
            single.matmul(KERNELS, w, x, oneMatmul);
            pool.matmul(KERNELS, w, x, threeMatmul);
        }
        assertThat(three).isEqualTo(one);
        assertThat(threeMatmul).isEqualTo(oneMatmul);
    }

    @ParameterizedTest
    @MethodSource("interleavedFormats")
    void vectorKernelsInterleaveWhatTheyCanAndTheReferenceNothing(BlockFormat format) {
        SplittableRandom random = new SplittableRandom(seed(8000));
        int cols = 2 * format.blockSize();
        WeightMatrix interleavable = quantizedMatrix(format, 32, cols, random);
        Arena arena = Arena.ofAuto();
        assertThat(REFERENCE.prepare(interleavable, arena)).isSameAs(interleavable);
        WeightMatrix prepared = KERNELS.prepare(interleavable, arena);
        assertThat(prepared.layout()).isEqualTo(KERNELS.vectorBits() == 0 ? WeightLayout.ROWS
                : WeightLayout.INTERLEAVED_16);
        WeightMatrix oddRows = quantizedMatrix(format, 24, cols, random);
        WeightMatrix q4_1 = quantizedMatrix(BlockFormat.Q4_1, 32, 64, random); // a format without the layout
        assertThat(KERNELS.prepare(oddRows, arena)).isSameAs(oddRows);
        assertThat(KERNELS.prepare(q4_1, arena)).isSameAs(q4_1);
        assertThatThrownBy(() -> RowInterleaving.interleave(q4_1, arena))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_1");
    }

    @Test
    void interleavedMatricesAreOfWholeGroups() {
        MemorySegment bytes = Arena.ofAuto().allocate(40 * 320);
        assertThatThrownBy(() -> new WeightMatrix(BlockFormat.Q4_1, bytes, 16, 32, WeightLayout.INTERLEAVED_16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_1");
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
    static void checkMatvec(WeightMatrix w, QuantizedActivations x, double relative, String context) {
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

    /** The kernels' matrix-matrix product on the interleaved copy of {@code w} equals theirs on {@code w} exactly. */
    static void checkMatmulMatchesRows(WeightMatrix w, QuantizedActivations x, String context) {
        float[] rows = new float[w.rows() * x.columns()];
        float[] interleaved = new float[w.rows() * x.columns()];
        KERNELS.matmul(w, x, rows, 0, w.rows());
        KERNELS.matmul(interleave(w), x, interleaved, 0, w.rows());
        assertThat(interleaved).as(context).isEqualTo(rows);
    }

    /** The kernels' matrix-matrix product on the interleaved copy of {@code w} against the reference on {@code w}. */
    static void checkMatmul(WeightMatrix w, QuantizedActivations x, double relative, String context) {
        KernelTestSupport.checkMatmul(w, interleave(w), x, relative, context);
    }
}
