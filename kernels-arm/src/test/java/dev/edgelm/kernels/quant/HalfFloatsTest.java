package dev.edgelm.kernels.quant;

import static dev.edgelm.kernels.quant.QuantTestSupport.random;
import static dev.edgelm.kernels.quant.QuantTestSupport.replay;
import static dev.edgelm.kernels.quant.QuantTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HalfFloatsTest {

    @ParameterizedTest(name = "{0} -> F16 {1}")
    @CsvSource({
        "0x3F800000, 0x3C00", // 1
        "0xC0000000, 0xC000", // -2
        "0x3DCCCCCD, 0x2E66", // 0.1
        "0x477FE000, 0x7BFF", // 65504, the largest F16
        "0x477FEFFF, 0x7BFF", // just below the midpoint to 65536
        "0x477FF000, 0x7C00", // 65520: the tie rounds to even, which is infinity
        "0x38800000, 0x0400", // 2^-14, the smallest normal
        "0x33800000, 0x0001", // 2^-24, the smallest subnormal
        "0x33000000, 0x0000", // 2^-25: tie between 0 and 2^-24, to even 0
        "0x33C00000, 0x0002", // 3 * 2^-25: tie between 1 and 2 units, to even 2
        "0x322BCC77, 0x0000", // 1e-8
        "0x80000000, 0x8000", // -0
        "0x7F800000, 0x7C00", // infinity
        "0x7FC00000, 0x7E00", // NaN
        "0xFFC00000, 0xFE00", // -NaN keeps its sign
        "0x7F800001, 0x7E00", // a signalling NaN with payload: ggml drops the payload
        "0x7FFFFFFF, 0x7E00",
    })
    void narrowsToF16LikeGgml(String floatBits, String expected) {
        float value = Float.intBitsToFloat(Integer.parseUnsignedInt(floatBits.substring(2), 16));
        assertThat(HalfFloats.toF16(value) & 0xFFFF).isEqualTo(Integer.parseInt(expected.substring(2), 16));
    }

    @Test
    void widensF16Exactly() {
        assertThat(HalfFloats.fromF16((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfFloats.fromF16((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(HalfFloats.fromF16((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        // ggml widens NaN through a float multiply: quiet, payload kept in the high mantissa bits.
        assertThat(Float.floatToRawIntBits(HalfFloats.fromF16((short) 0x7C01))).isEqualTo(0x7FC0_2000);
        assertThat(Float.floatToRawIntBits(HalfFloats.fromF16((short) 0xFE00))).isEqualTo(0xFFC0_0000);
    }

    @Test
    void everyF16RoundTripsExceptThatNaNsBecomeCanonical() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            short back = HalfFloats.toF16(HalfFloats.fromF16(h));
            boolean nan = (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0;
            assertThat(back & 0xFFFF).as("F16 0x%04x", bits).isEqualTo(nan ? (bits & 0x8000) | 0x7E00 : bits);
        }
    }

    @Test
    void narrowingRoundsToNearestEvenOnRandomFloats() {
        long seed = seed(1);
        SplittableRandom random = random(seed);
        for (int i = 0; i < 200_000; i++) {
            // Exponents around F16's range, including its subnormals and overflow.
            float value = Math.scalb((float) (random.nextDouble() * 2 - 1), random.nextInt(-30, 20));
            float expected = roundToPrecision(value, 10, -14, 65504);
            assertThat(Float.floatToRawIntBits(HalfFloats.fromF16(HalfFloats.toF16(value))))
                    .as("%s (%s), %s", value, Float.toHexString(value), replay(seed))
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    @ParameterizedTest(name = "{0} -> BF16 {1}")
    @CsvSource({
        "0x3F800000, 0x3F80",
        "0x3F808000, 0x3F80", // tie, kept half is even: down
        "0x3F818000, 0x3F82", // tie, kept half is odd: up
        "0x3F808001, 0x3F81", // just above the tie: up
        "0x7F7FFFFF, 0x7F80", // the largest float rounds to infinity
        "0x00000001, 0x0000", // float subnormals round like everything else, not flushed
        "0x00018000, 0x0002",
        "0x80000000, 0x8000",
        "0x7F800001, 0x7FC0", // NaN: upper payload kept, made quiet
        "0xFF812345, 0xFFC1",
        "0x7FC00000, 0x7FC0",
    })
    void narrowsToBf16LikeGgml(String floatBits, String expected) {
        float value = Float.intBitsToFloat(Integer.parseUnsignedInt(floatBits.substring(2), 16));
        assertThat(HalfFloats.toBf16(value) & 0xFFFF).isEqualTo(Integer.parseInt(expected.substring(2), 16));
    }

    @Test
    void bf16NarrowingRoundsToNearestEvenOnRandomFloats() {
        long seed = seed(2);
        SplittableRandom random = random(seed);
        for (int i = 0; i < 200_000; i++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(value)) {
                continue;
            }
            float expected = roundToPrecision(value, 7, -126, Math.nextDown(0x1p128));
            float actual = HalfFloats.fromBf16(HalfFloats.toBf16(value));
            assertThat(Float.floatToRawIntBits(actual))
                    .as("%s (%s), %s", value, Float.toHexString(value), replay(seed))
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
        assertThat(HalfFloats.fromBf16((short) 0x3F81)).isEqualTo(1.0078125f);
    }

    /**
     * An independent model of IEEE narrowing: keep {@code mantissaBits} after the point (fewer below the
     * smallest normal exponent), round half to even with {@link Math#rint}, and overflow past
     * {@code largestFinite} (to infinity when the rounded value exceeds it).
     */
    private static float roundToPrecision(float value, int mantissaBits, int minExponent, double largestFinite) {
        if (Float.isInfinite(value)) {
            return value;
        }
        int exponent = Math.max(Math.getExponent(value), minExponent);
        double quantum = Math.scalb(1.0, exponent - mantissaBits);
        double rounded = Math.rint(value / quantum) * quantum;
        if (Math.abs(rounded) > largestFinite) {
            return rounded > 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        }
        return (float) rounded;
    }
}
