package dev.edgelm.kernels;

import static dev.edgelm.kernels.InterleavedLayoutProperties.checkMatmul;
import static dev.edgelm.kernels.InterleavedLayoutProperties.checkMatvec;
import static dev.edgelm.kernels.KernelTestSupport.RELATIVE_TOLERANCE;
import static dev.edgelm.kernels.KernelTestSupport.integerActivations;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.randomBlocks;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interleaved Q6_K ({@link InterleavedQ6K}) at the bounds of its integer arithmetic: with unit (or zero) d and
 * integer activations, whose Q8_K scale is exactly 1, every product is an exact integer in float, so the kernels
 * must equal the reference exactly. The layout's general properties, Q6_K's included, are in
 * {@link InterleavedLayoutProperties}. Surefire runs this class once per vector width.
 */
class InterleavedQ6KProperties {

    private static final BlockFormat Q6_K = BlockFormat.Q6_K;
    private static final short ONE = 0x3C00;
    private static final int SEEDS = 4;

    /**
     * Random codes and scales (every int8, -128 included), unit d, integer activations in [-31, 31] with a 127 or
     * -127 every 32 values: sums stay far below 2^24, so float adds them exactly.
     */
    @Test
    void integerArithmeticIsExact() {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(8100 + s);
            SplittableRandom random = new SplittableRandom(seed);
            WeightMatrix w = randomBlocks(Q6_K, 32, 3 * 256, ONE, random);
            QuantizedActivations x = quantize(integerActivations(random, 3 * 256 * 7, 31), 3 * 256);
            checkMatvec(w, x, 0, "unit d, " + replay(seed));
            checkMatmul(w, x, 0, "unit d, " + replay(seed));
        }
    }

    /**
     * Every code 0 or 63 (values -32 and 31), every scale -128 or 127, d 1 or 0, against all-127 and all--127
     * activations: each 16-bit lane's sum of a sub-block at its bound (8 x 32 x 127 = 32512), each block's 32-bit
     * sum at its largest (256 x 32 x 128 x 127). The integer kernel (matvec, dot, and matmul of 2 columns) is
     * exact; the float tiles of 7 columns are checked within the usual tolerance, as their running sums of up to
     * 768 values of 31 x 127 x 127 outgrow float's 24 bits.
     */
    @ParameterizedTest
    @CsvSource({"0, -128, 15360", "0, 127, 15360", "63, -128, 15360", "63, 127, 15360", "0, -128, 0",
            "63, 127, 0"})
    void extremeCodesAndScalesStayExact(int code, int scale, int d) {
        SplittableRandom random = new SplittableRandom(seed(8200));
        int cols = 3 * 256;
        WeightMatrix w = randomBlocks(Q6_K, 32, cols, (short) d, random);
        MemorySegment data = w.data();
        for (long at = 0; at < data.byteSize(); at += Q6_K.blockBytes()) {
            data.asSlice(at, 192).fill((byte) (code == 63 ? 0xFF : 0)); // low nibbles and high bit pairs
            data.asSlice(at + 192, 16).fill((byte) scale);
        }
        String context = "code " + code + ", scale " + scale + ", d 0x" + Integer.toHexString(d);
        for (int columns : new int[] {2, 7}) {
            float[] activations = new float[cols * columns];
            for (int i = 0; i < activations.length; i++) {
                activations[i] = i / cols % 2 == 0 ? 127 : -127;
            }
            QuantizedActivations x = quantize(activations, cols);
            checkMatvec(w, x, 0, context + ", " + columns + " columns");
            checkMatmul(w, x, columns < VectorMatmul.MIN_COLUMNS ? 0 : RELATIVE_TOLERANCE,
                    context + ", " + columns + " columns");
        }
    }
}
