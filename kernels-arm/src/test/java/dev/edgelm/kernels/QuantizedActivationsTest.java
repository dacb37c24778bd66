package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.gaussian;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.BlockCodec;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.HalfFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Activation quantization reproduces the reference Q8_0 and Q8_K codecs exactly. */
class QuantizedActivationsTest {

    @Test
    void q8_0CodesAndScalesAreTheCodecs() {
        for (int s = 0; s < 5; s++) {
            long seed = seed(500 + s);
            float[] x = gaussian(new SplittableRandom(seed), 3 * 512);
            x[5] = 0; // and a zero block
            java.util.Arrays.fill(x, 64, 96, 0f);
            QuantizedActivations a = KernelTestSupport.quantize(x, 512);
            MemorySegment bytes = encode(BlockFormat.Q8_0, x);
            for (int b = 0; b < x.length / 32; b++) {
                long at = b * 34L;
                assertThat(a.q8Scales[b]).as(replay(seed)).isEqualTo(
                        HalfFloats.fromF16(bytes.get(KernelTestSupport.SHORT_LE, at)));
                int sum = 0;
                for (int j = 0; j < 32; j++) {
                    byte code = bytes.get(ValueLayout.JAVA_BYTE, at + 2 + j);
                    assertThat(a.q8Codes[32 * b + j]).as(replay(seed)).isEqualTo(code);
                    sum += code;
                }
                assertThat(a.q8Sums[b]).isEqualTo(sum);
            }
        }
    }

    @Test
    void q8KCodesScalesAndSumsAreTheCodecs() {
        for (int s = 0; s < 5; s++) {
            long seed = seed(600 + s);
            float[] x = gaussian(new SplittableRandom(seed), 2 * 512);
            java.util.Arrays.fill(x, 256, 512, 0f);
            QuantizedActivations a = KernelTestSupport.quantize(x, 512);
            MemorySegment bytes = encode(BlockFormat.Q8_K, x);
            for (int b = 0; b < x.length / 256; b++) {
                long at = b * 292L;
                assertThat(a.qkScales[b]).as(replay(seed)).isEqualTo(bytes.get(KernelTestSupport.FLOAT_LE, at));
                int total = 0;
                for (int j = 0; j < 256; j++) {
                    assertThat(a.qkCodes[256 * b + j]).isEqualTo(bytes.get(ValueLayout.JAVA_BYTE, at + 4 + j));
                }
                for (int g = 0; g < 16; g++) {
                    short sum = bytes.get(KernelTestSupport.SHORT_LE, at + 260 + 2L * g);
                    assertThat(a.qkSums16[16 * b + g]).as(replay(seed)).isEqualTo(sum);
                    total += sum;
                }
                assertThat(a.qkSums256[b]).isEqualTo(total);
            }
        }
    }

    /**
     * Rounding ties, repeated maxima of both signs, subnormals, zeros, NaNs and infinities: the quantization in
     * use (vector or scalar, by width) gives exactly the reference quantizer's codes and scales.
     */
    @Test
    void specialValuesQuantizeAsTheReference() {
        float[][] blocks = new float[8][256];
        SplittableRandom random = new SplittableRandom(seed(650));
        for (float[] block : blocks) {
            for (int i = 0; i < block.length; i++) {
                block[i] = random.nextInt(-254, 255) / 2f; // with max 127 (below): d = 1, so every .5 is a tie
            }
            block[3] = 127;
            block[40] = -127; // an opposite maximum after the first
        }
        blocks[1][7] = 0.49999997f;
        blocks[1][8] = -0.49999997f;
        blocks[2][100] = Float.NaN;
        blocks[3][9] = Float.POSITIVE_INFINITY;
        blocks[4] = new float[256];
        java.util.Arrays.fill(blocks[5], Float.MIN_VALUE);
        blocks[5][20] = -Float.MIN_VALUE * 3;
        java.util.Arrays.fill(blocks[6], -0f);
        blocks[7][0] = -127; // the first maximum negative
        float[] x = new float[blocks.length * 256];
        for (int b = 0; b < blocks.length; b++) {
            System.arraycopy(blocks[b], 0, x, 256 * b, 256);
        }
        QuantizedActivations a = KernelTestSupport.quantize(x, 256);
        short[] codes = new short[256];
        for (int b = 0; b < blocks.length; b++) {
            float scale = ActivationQuantizer.quantizeQ8K(x, 256 * b, codes, 0);
            assertThat(a.qkScales[b]).as("Q8_K block " + b).isEqualTo(scale);
            assertThat(java.util.Arrays.copyOfRange(a.qkCodes, 256 * b, 256 * b + 256)).as("Q8_K block " + b)
                    .containsExactly(codes);
        }
        for (int b = 0; b < x.length / 32; b++) {
            float scale = ActivationQuantizer.quantizeQ8_0(x, 32 * b, codes, 0);
            assertThat(a.q8Scales[b]).as("Q8_0 block " + b).isEqualTo(scale);
            assertThat(java.util.Arrays.copyOfRange(a.q8Codes, 32 * b, 32 * b + 32)).as("Q8_0 block " + b)
                    .containsExactly(java.util.Arrays.copyOf(codes, 32));
        }
    }

    @Test
    void encodingsFollowTheLength() {
        QuantizedActivations odd = QuantizedActivations.allocate(100, 1);
        assertThat(odd.supports(Encoding.FLOAT)).isTrue();
        assertThat(odd.supports(Encoding.Q8_0)).isFalse();
        QuantizedActivations q8 = QuantizedActivations.allocate(96, 2);
        assertThat(q8.supports(Encoding.Q8_0)).isTrue();
        assertThat(q8.supports(Encoding.Q8_K)).isFalse();
        assertThat(QuantizedActivations.allocate(512, 1).supports(Encoding.Q8_K)).isTrue();
    }

    @Test
    void holdsOnlyTheEncodingsAskedFor() {
        QuantizedActivations q8Only = QuantizedActivations.allocate(512, 8, EnumSet.of(Encoding.Q8_0));
        assertThat(q8Only.supports(Encoding.Q8_0)).isTrue();
        assertThat(q8Only.supports(Encoding.Q8_K)).isFalse();
        assertThat(q8Only.supports(Encoding.FLOAT)).isFalse();
        assertThat(q8Only.interleaved(Encoding.FLOAT)).isNull();
        assertThat(q8Only.interleaved(Encoding.Q8_K)).isNull();
        // Asked for, but the length does not allow it.
        assertThat(QuantizedActivations.allocate(96, 1, EnumSet.of(Encoding.Q8_K)).supports(Encoding.Q8_K)).isFalse();

        // The products a subset feeds are those of the full set, at every column count (decode and prefill paths).
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[512 * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] rowValues = new float[512 * 4];
        for (int i = 0; i < rowValues.length; i++) {
            rowValues[i] = (float) random.nextGaussian();
        }
        WeightMatrix q4 = new WeightMatrix(BlockFormat.Q4_0, encode(BlockFormat.Q4_0, rowValues), 4, 512);
        QuantizedActivations all = QuantizedActivations.allocate(512, 8);
        for (int columns : new int[] {1, 4, 8}) {
            q8Only.quantize(x, 0, columns);
            all.quantize(x, 0, columns);
            float[] expected = new float[4 * columns];
            float[] actual = new float[4 * columns];
            Kernels.get().matmul(q4, all, expected, 0, 4);
            Kernels.get().matmul(q4, q8Only, actual, 0, 4);
            assertThat(actual).as(columns + " columns").containsExactly(expected);
        }

        WeightMatrix k = new WeightMatrix(BlockFormat.Q4_K, Arena.ofAuto().allocate(144 * 2), 1, 512);
        assertThatThrownBy(() -> Kernels.get().matvec(k, q8Only, new float[1], 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_K");
    }

    @Test
    void rejectsMismatchedInputs() {
        QuantizedActivations a = QuantizedActivations.allocate(96, 2);
        assertThatThrownBy(() -> a.quantize(new float[96 * 3], 0, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.quantize(new float[100], 10, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        WeightMatrix w = new WeightMatrix(BlockFormat.Q4_0, Arena.ofAuto().allocate(18 * 3 * 2), 2, 96);
        float[] out = new float[2];
        assertThatThrownBy(() -> Kernels.get().matvec(w, a, out, 0, 2)).isInstanceOf(IllegalStateException.class);
        a.quantize(new float[96], 0, 1);
        Kernels.get().matvec(w, a, out, 0, 2);
        assertThat(out).containsOnly(0f);
        WeightMatrix k = new WeightMatrix(BlockFormat.Q4_K, Arena.ofAuto().allocate(144), 1, 256);
        QuantizedActivations notK = QuantizedActivations.allocate(256 + 32, 1);
        notK.quantize(new float[288], 0, 1);
        assertThatThrownBy(() -> Kernels.get().matvec(k, notK, out, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Split across a pool, quantization gives every code, scale, sum and interleaved value that one thread gives:
     * lengths with and without Q8_K, one that is not a multiple of 32 (floats only), column counts below and above
     * the interleaving threshold and not a multiple of the thread count.
     */
    @Test
    void aPoolQuantizesAsOneThreadDoes() {
        for (int length : new int[] {96, 512, 1280, 100}) {
            for (int columns : new int[] {1, VectorMatmul.MIN_COLUMNS - 1, VectorMatmul.MIN_COLUMNS, 27, 64}) {
                long seed = seed(900 + length + columns);
                float[] x = gaussian(new SplittableRandom(seed), columns * length + 7);
                QuantizedActivations serial = QuantizedActivations.allocate(length, 64);
                serial.quantize(x, 7, columns);
                for (int threads = 1; threads <= 3; threads++) {
                    QuantizedActivations split = QuantizedActivations.allocate(length, 64);
                    try (ComputePool pool = new ComputePool(threads)) {
                        split.quantize(x, 7, columns, pool);
                    }
                    String context = length + " values, " + columns + " columns, " + threads + " threads, "
                            + replay(seed);
                    assertThat(split.columns()).as(context).isEqualTo(columns);
                    assertThat(buffers(split)).as(context).containsExactlyElementsOf(buffers(serial));
                }
            }
        }
    }

    /** Every buffer quantization fills, in a fixed order, the missing ones as null. */
    private static List<Object> buffers(QuantizedActivations a) {
        return Arrays.asList(a.values, a.q8Codes, a.q8Scales, a.q8Sums, a.q8ScaledSums, a.qkCodes, a.qkScales,
                a.qkSums16, a.qkSums256, a.interleavedFloats, a.interleavedQ8, a.interleavedQk);
    }

    private static MemorySegment encode(BlockFormat format, float[] x) {
        MemorySegment bytes = Arena.ofAuto().allocate(format.rowBytes(x.length));
        BlockCodec.of(format).quantizeRow(x, 0, x.length, bytes, 0);
        return bytes;
    }
}
