package dev.edgelm.kernels;

import static dev.edgelm.kernels.InterleavedLayoutProperties.checkMatmul;
import static dev.edgelm.kernels.InterleavedLayoutProperties.checkMatmulMatchesRows;
import static dev.edgelm.kernels.InterleavedLayoutProperties.checkMatvec;
import static dev.edgelm.kernels.KernelTestSupport.RELATIVE_TOLERANCE;
import static dev.edgelm.kernels.KernelTestSupport.SHORT_LE;
import static dev.edgelm.kernels.KernelTestSupport.integerActivations;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.randomBlocks;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.kernels.quant.BlockFormat;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interleaved Q4_K ({@link InterleavedQ4K}) at the bounds of its integer arithmetic, against the reference on the
 * GGUF layout. Scales are unit (or zero) and activation codes integers with a unit scale, and the cases are chosen
 * so that every float sum the matrix-vector kernel forms stays exactly representable: its results must be exact.
 * Surefire runs this class once per vector width.
 */
class InterleavedQ4KProperties {

    private static final BlockFormat Q4_K = BlockFormat.Q4_K;
    private static final short ONE = 0x3C00;
    private static final short ZERO = 0;
    private static final int SCALE_BYTES = 4;
    private static final int NIBBLE_BYTES = 16;
    /**
     * Activation code patterns ({@link #codes}), one column each, at least {@link VectorMatmul#MIN_COLUMNS} of them
     * so that matrix products run the tiled prefill on {@link InterleavedQ4K#decodeGroup}: every code -127; every
     * code 127; by sub-block, by half sub-block (the 16 products of one 16-bit lane per row), and by value (the
     * two lanes of a row), alternately 127 and -127.
     */
    private static final IntUnaryOperator[] CODE_PATTERNS = {
        j -> -127,
        j -> 127,
        j -> j / 32 % 2 == 0 ? 127 : -127,
        j -> j / 16 % 2 == 0 ? 127 : -127,
        j -> j % 2 == 0 ? 127 : -127,
        j -> j % 2 == 0 ? -127 : 127,
    };

    /**
     * Random bytes (every nibble, 6-bit scale and minimum) with unit {@code d} and {@code dmin}, and integer
     * activations small enough that no sum reaches 2^24 (at most 63 x 15 x (127 x 8 + 4 x 248) per block).
     */
    @Test
    void integerArithmeticIsExact() {
        for (int s = 0; s < 4; s++) {
            long seed = seed(8400 + s);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = randomBlocks(Q4_K, 32, 512, ONE, random);
            QuantizedActivations x = quantize(integerActivations(random, 512 * 7, 4), 512);
            checkMatvec(w, x, 0, "unit scales, " + replay(seed));
            checkMatmul(w, x, 0, "unit scales, " + replay(seed));
        }
    }

    /**
     * Every nibble 15 (or 0, or 15 in one nibble of each byte), every scale and minimum at its largest (63) or one
     * of them 0, unit or zero {@code d} and {@code dmin}, against codes of magnitude 127: the 16-bit lane sums reach
     * 16 x 15 x 127 = 30480 of either sign, a row's sub-block sum 60960, its minimum term 63 x 4064 per sub-block.
     * One block per row: the matrix-vector sums stay exact multiples of 2 below 2^25. Matrix products (the tiled
     * prefill) add value by value in float, which these magnitudes take past 2^24 in either layout: they must equal
     * the GGUF layout's bit for bit (so {@link InterleavedQ4K#decodeGroup} decodes exactly what the row decoder
     * does), and the reference within the usual tolerance.
     */
    @ParameterizedTest
    @MethodSource("bounds")
    void boundsStayExact(int nibbles, int[] scaleBytes, short d, short dmin) {
        String context = String.format("nibbles 0x%02X, scale bytes 0x%02X 0x%02X 0x%02X, d 0x%04X, dmin 0x%04X",
                nibbles, scaleBytes[0], scaleBytes[1], scaleBytes[2], d, dmin);
        WeightMatrix w = randomBlocks(Q4_K, 32, 256, ONE, new SplittableRandom(seed(8500)));
        for (long b = 0; b < 32; b++) {
            long block = b * Q4_K.blockBytes();
            w.data().set(SHORT_LE, block, d);
            w.data().set(SHORT_LE, block + 2, dmin);
            for (int word = 0; word < 3; word++) {
                w.data().asSlice(block + SCALE_BYTES + 4 * word, 4).fill((byte) scaleBytes[word]);
            }
            w.data().asSlice(block + NIBBLE_BYTES, 128).fill((byte) nibbles);
        }
        QuantizedActivations x = quantize(codes(256), 256);
        for (int c = 0; c < CODE_PATTERNS.length; c++) {
            for (int j = 1; j < 256; j++) {
                assertThat(x.qkCodes[256 * c + j]).as("column %d code %d", c, j)
                        .isEqualTo((short) CODE_PATTERNS[c].applyAsInt(j));
            }
        }
        checkMatvec(w, x, 0, context);
        checkMatmul(w, x, RELATIVE_TOLERANCE, context);
        checkMatmulMatchesRows(w, x, context);
    }

    static Stream<Arguments> bounds() {
        // The 12 packed bytes as three runs of 4: all 0xFF is every scale and minimum 63; 0xFF, 0x00, 0x0F every
        // scale 63 and every minimum 0; 0x00, 0xFF, 0xF0 the reverse.
        int[][] scales = {{0xFF, 0xFF, 0xFF}, {0xFF, 0x00, 0x0F}, {0x00, 0xFF, 0xF0}};
        short[][] factors = {{ONE, ONE}, {ZERO, ONE}, {ONE, ZERO}};
        return IntStream.of(0xFF, 0x00, 0x0F, 0xF0).boxed().flatMap(nibbles -> Stream.of(scales)
                .flatMap(scale -> Stream.of(factors).map(f -> Arguments.of(nibbles, scale, f[0], f[1]))));
    }

    /**
     * Activations of {@code length} values per column, one column per {@link #CODE_PATTERNS} entry, that quantize to
     * exactly those codes with scale 1: the first value of each Q8_K block is -127, which makes the scale 1 (the
     * block's first value of largest magnitude becomes code -127), so that code is -127 whatever the pattern.
     */
    private static float[] codes(int length) {
        float[] x = new float[length * CODE_PATTERNS.length];
        for (int c = 0; c < CODE_PATTERNS.length; c++) {
            for (int j = 0; j < length; j++) {
                x[c * length + j] = j % 256 == 0 ? -127 : CODE_PATTERNS[c].applyAsInt(j);
            }
        }
        return x;
    }
}
