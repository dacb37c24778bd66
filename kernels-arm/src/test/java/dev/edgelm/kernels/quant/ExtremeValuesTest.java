package dev.edgelm.kernels.quant;

import static dev.edgelm.kernels.quant.QuantTestSupport.dequantizeRow;
import static dev.edgelm.kernels.quant.QuantTestSupport.quantizeRow;
import static dev.edgelm.kernels.quant.QuantTestSupport.repeat;
import static dev.edgelm.kernels.quant.QuantTestSupport.toHex;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Zeros, constants, huge values, NaN and subnormals, each as llama.cpp's reference treats them. */
class ExtremeValuesTest {

    private static final int N = 256; // one super-block, eight 32-blocks, two I2_S groups

    private static float[] filled(float value) {
        float[] x = new float[N];
        Arrays.fill(x, value);
        return x;
    }

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void zerosComeBackAsZeros(BlockFormat format) {
        float[] y = dequantizeRow(format, quantizeRow(format, filled(0)), N);
        for (float v : y) {
            assertThat(v == 0).as("%s gave %s", format, v).isTrue(); // +0 or -0
        }
    }

    @Test
    void zeroQ4_0BlockHasANegativeZeroScale() {
        // d = max / -8 with max = 0 is -0 (F16 0x8000); 1/d is not taken (d == 0), codes are (int) 8.5 = 8,
        // and (8 - 8) * -0 dequantizes to -0.
        byte[] bytes = quantizeRow(BlockFormat.Q4_0, new float[32]);
        assertThat(toHex(bytes)).isEqualTo("0080" + repeat("88", 16));
        assertThat(Float.floatToRawIntBits(dequantizeRow(BlockFormat.Q4_0, bytes, 32)[0])).isEqualTo(0x8000_0000);
    }

    @Test
    void zeroBlocksOfTheScaleSearchingFormatsAreAllZeroBytes() {
        for (BlockFormat format : new BlockFormat[] {BlockFormat.Q6_K, BlockFormat.Q8_K}) {
            assertThat(quantizeRow(format, filled(0))).as("%s", format).containsOnly(0);
        }
        // Below GROUP_MAX_EPS (1e-15) Q6_K still counts a super-block as zero.
        assertThat(quantizeRow(BlockFormat.Q6_K, filled(1e-16f))).containsOnly(0);
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ1_0", "TQ2_0", "I2_S"}, mode = EnumSource.Mode.EXCLUDE)
    void constantBlocksComeBackClose(BlockFormat format) {
        for (float c : new float[] {0.7f, -3.25f}) {
            float[] y = dequantizeRow(format, quantizeRow(format, filled(c)), N);
            for (float v : y) {
                // c is the block maximum, which every format maps onto a code exactly, up to the rounding of
                // its scale (F16: 2^-11 relative) or, for BF16, of the value itself (2^-9).
                assertThat((double) v).as("%s of constant %s", format, c)
                        .isCloseTo(c, Offset.offset(Math.abs(c) * 2e-3));
            }
        }
    }

    @Test
    void constantAffineBlockIsStoredInTheMinimum() {
        // max == min, so d = 0, every code is 0 and the value is m = F16(0.7) exactly.
        float[] y = dequantizeRow(BlockFormat.Q4_1, quantizeRow(BlockFormat.Q4_1, filled(0.7f)), N);
        assertThat(y).containsOnly(HalfFloats.fromF16(HalfFloats.toF16(0.7f)));
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ1_0", "TQ2_0", "I2_S"})
    void constantTernaryBlocksAreExact(BlockFormat format) {
        float[] y = dequantizeRow(format, quantizeRow(format, filled(-0.5f)), N);
        assertThat(y).containsOnly(format == BlockFormat.I2_S ? -1f : -0.5f); // I2_S rows are in units of the scale
    }

    @Test
    void valuesBeyondF16RangeOverflowTheScaleAsInLlamaCpp() {
        float[] x = filled(0);
        x[0] = 1e30f;
        x[1] = -5e29f;
        // F16 saturates to infinity, BF16 and F32 hold the values.
        assertThat(dequantizeRow(BlockFormat.F16, quantizeRow(BlockFormat.F16, x), N)[0])
                .isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(dequantizeRow(BlockFormat.BF16, quantizeRow(BlockFormat.BF16, x), N)[0])
                .isCloseTo(1e30f, Percentage.withPercentage(0.4));
        // Q8_0: d = 1e30 / 127 becomes F16 infinity; nonzero codes decode to infinities, zero codes to NaN.
        float[] q8 = dequantizeRow(BlockFormat.Q8_0, quantizeRow(BlockFormat.Q8_0, x), N);
        assertThat(q8[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(q8[1]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(q8[2]).isNaN();
        // Q8_K's scale is float32, so it copes: the maximum 1e30 maps to code -127 against d = -1e30/127, and
        // -5e29 to 63.5, which nearest_int rounds to the even 64.
        float[] q8k = dequantizeRow(BlockFormat.Q8_K, quantizeRow(BlockFormat.Q8_K, x), N);
        assertThat(q8k[0]).isCloseTo(1e30f, Percentage.withPercentage(1e-4));
        assertThat(q8k[1]).isCloseTo(-64 * (1e30f / 127), Percentage.withPercentage(1e-4));
    }

    @Test
    void nanInTheFloatFormats() {
        float payloadNaN = Float.intBitsToFloat(0x7FA0_0001);
        byte[] f32 = quantizeRow(BlockFormat.F32, new float[] {payloadNaN});
        assertThat(Float.floatToRawIntBits(dequantizeRow(BlockFormat.F32, f32, 1)[0])).isEqualTo(0x7FA0_0001);
        float negativeNaN = Float.intBitsToFloat(0xFFC0_0000);
        assertThat(toHex(quantizeRow(BlockFormat.F16, new float[] {payloadNaN, negativeNaN}))).isEqualTo("007e00fe");
        assertThat(toHex(quantizeRow(BlockFormat.BF16, new float[] {payloadNaN}))).isEqualTo("e07f");
    }

    @Test
    void nanNeverBecomesTheScaleOfTheSignedMaximumFormats() {
        // Q4_0, Q5_0, Q8_K and the K-quant searches pick their scale with "|x| > amax", which NaN never passes.
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (i % 16) - 8;
        }
        x[3] = Float.NaN;
        float[] q8k = dequantizeRow(BlockFormat.Q8_K, quantizeRow(BlockFormat.Q8_K, x), N);
        // -8 is the maximum: iscale = -127 / -8, d = 8/127; NaN's code is nearest_int(NaN) = 0.
        assertThat(q8k[3]).isZero();
        assertThat(q8k[0]).isCloseTo(-8f, Offset.offset(1e-5f));
        float[] q4 = dequantizeRow(BlockFormat.Q4_0, quantizeRow(BlockFormat.Q4_0, x), N);
        assertThat(q4[0]).isEqualTo(-8f); // d = -8 / -8 = 1, the other values unaffected
        assertThat(q4[1]).isEqualTo(-7f);
    }

    @Test
    void nanResetsTheRunningMaximumOfTheMaxMacroFormats() {
        // Q8_0 and the TQ formats use amax = MAX(amax, |x|) = amax > |x| ? amax : |x|: a NaN replaces amax and the
        // next value replaces the NaN, so only values after the last NaN count.
        float[] x = new float[32];
        x[0] = 100;
        x[1] = Float.NaN;
        x[2] = 1;
        x[3] = -0.5f;
        byte[] bytes = quantizeRow(BlockFormat.Q8_0, x);
        // amax = 1 (not 100): d = 1/127, F16 0x2008.
        assertThat(toHex(Arrays.copyOf(bytes, 2))).isEqualTo("0820");
    }

    @Test
    void i2_sTreatsNaNAsNegativeAndLeavesItOutOfTheScale() {
        float[] x = new float[128];
        x[0] = Float.NaN;
        x[1] = 2;
        x[2] = -Float.MIN_VALUE;
        byte[] bytes = quantizeRow(BlockFormat.I2_S, x);
        assertThat(bytes[0] & 0xC0).isZero(); // code 0 (-1) at shift 6
        assertThat(bytes[1] & 0xC0).isEqualTo(0x80);
        assertThat(bytes[2] & 0xC0).isEqualTo(0x40); // a subnormal is below 1e-6: zero
        MemorySegment tensor = Arena.ofAuto().allocate(64);
        Quantization.quantize(BlockFormat.I2_S, x, 128, tensor);
        assertThat(Quantization.i2sScale(tensor, 1, 128)).isEqualTo(2f);
    }

    @Test
    void subnormalBlocksGetAZeroScale() {
        // d = amax / 127 rounds to F16 zero, so everything decodes to zero (1/d in float overflows to infinity,
        // but no code survives multiplication by d = 0).
        float[] x = new float[32];
        x[0] = Float.MIN_NORMAL;
        x[1] = -Float.MIN_VALUE * 7;
        byte[] bytes = quantizeRow(BlockFormat.Q8_0, x);
        assertThat(toHex(Arrays.copyOf(bytes, 2))).isEqualTo("0000");
        for (float v : dequantizeRow(BlockFormat.Q8_0, bytes, 32)) {
            assertThat(v == 0).isTrue();
        }
        // F16 keeps values down to 2^-24 and rounds below; BF16 keeps float subnormals' top 7 bits.
        assertThat(toHex(quantizeRow(BlockFormat.F16, new float[] {0x1p-24f, 0x1p-25f, 0x1.8p-24f})))
                .isEqualTo("010000000200");
        assertThat(dequantizeRow(BlockFormat.BF16, quantizeRow(BlockFormat.BF16, new float[] {0x1p-130f}), 1))
                .containsExactly(0x1p-130f);
    }
}
