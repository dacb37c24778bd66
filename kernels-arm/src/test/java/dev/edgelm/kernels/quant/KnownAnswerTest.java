package dev.edgelm.kernels.quant;

import static dev.edgelm.kernels.quant.QuantTestSupport.dequantizeRow;
import static dev.edgelm.kernels.quant.QuantTestSupport.hex;
import static dev.edgelm.kernels.quant.QuantTestSupport.quantizeRow;
import static dev.edgelm.kernels.quant.QuantTestSupport.repeat;
import static dev.edgelm.kernels.quant.QuantTestSupport.toHex;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * One small block per format, with the expected bytes worked out by hand from the format's definition (the
 * comments show the working). Multi-byte fields are little-endian: F16 1.0 = 0x3C00 is written "003c".
 */
class KnownAnswerTest {

    private static void assertBlock(BlockFormat format, float[] x, String expectedHex, float[] expectedValues) {
        byte[] bytes = quantizeRow(format, x);
        assertThat(toHex(bytes)).isEqualTo(toHex(hex(expectedHex)));
        assertThat(dequantizeRow(format, bytes, x.length)).containsExactly(expectedValues);
    }

    @Test
    void floatFormats() {
        float[] x = {1.0f, -2.0f, 65504f, 1e-8f, 0.1f};
        assertBlock(BlockFormat.F32, x, "0000803f 000000c0 00e07f47 77cc2b32 cdcccc3d", x);
        // 1e-8 is below half of F16's smallest subnormal (2^-24 = 6e-8) and becomes 0.
        assertBlock(BlockFormat.F16, x, "003c 00c0 ff7b 0000 662e",
                new float[] {1.0f, -2.0f, 65504f, 0f, 0.0999755859375f});
        // BF16 keeps float's exponent: 0.1 = 0x3DCCCCCD rounds up to 0x3DCD; 65504 = 0x477FE000 rounds up to
        // 0x4780 = 65536; 1e-8 = 0x322BCC77 up to 0x322C.
        assertBlock(BlockFormat.BF16, x, "803f 00c0 8047 2c32 cd3d",
                new float[] {1.0f, -2.0f, 65536f, Float.intBitsToFloat(0x322C0000), Float.intBitsToFloat(0x3DCD0000)});
    }

    @Test
    void q4_0Ramp() {
        // x_j = j - 16. The largest magnitude is -16 (j = 0), so d = -16 / -8 = 2 and 1/d = 0.5.
        // q_j = min(15, (int) ((j - 16) * 0.5 + 8.5)) = min(15, (j + 1) / 2):
        //   j 0..15:  0 1 1 2 2 3 3 4 4 5 5 6 6 7 7 8     j 16..31: 8 9 9 10 10 11 11 12 12 13 13 14 14 15 15 15
        // byte j = q_j | q_{j+16} << 4. Value = (q - 8) * 2, so x_31 = 15 comes back as 14 (code 15 is the top).
        float[] x = new float[32];
        float[] expected = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16;
            expected[j] = (Math.min(15, (j + 1) / 2) - 8) * 2;
        }
        assertBlock(BlockFormat.Q4_0, x, "0040 80 91 91 a2 a2 b3 b3 c4 c4 d5 d5 e6 e6 f7 f7 f8", expected);
    }

    @Test
    void q4_1GridAndHalfwayRounding() {
        // Block 1: x_j = 1 + j % 16: min 1, max 16, d = 15/15 = 1, m = 1, q_j = (int) (x_j - 1 + 0.5) = j % 16,
        // so byte j = j | j << 4. Block 2: min 0, max 15 (d = 1, m = 0); 2.5 + 0.5 truncates to 3 (ties go up),
        // 7.49 + 0.5 to 7.
        float[] x = new float[64];
        for (int j = 0; j < 32; j++) {
            x[j] = 1 + j % 16;
        }
        x[33] = 15;
        x[34] = 2.5f;
        x[35] = 7.49f;
        float[] expected = x.clone();
        expected[34] = 3;
        expected[35] = 7;
        assertBlock(BlockFormat.Q4_1, x,
                "003c 003c 00112233445566778899aabbccddeeff"
                        + "003c 0000 000f0307 000000000000000000000000",
                expected);
    }

    @Test
    void q5_0Ramp() {
        // x_j = j - 16: largest magnitude -16, d = -16 / -16 = 1, q_j = min(31, (int) (x_j + 16.5)) = j.
        // Low nibbles: byte j = j | (j + 16) << 4 = j * 0x11. Fifth bits: set for j >= 16, qh = 0xFFFF0000.
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16;
        }
        assertBlock(BlockFormat.Q5_0, x, "003c 0000ffff 00112233445566778899aabbccddeeff", x);
    }

    @Test
    void q5_1Ramp() {
        // x_j = 2 + j / 2: min 2, max 17.5, d = 15.5 / 31 = 0.5, m = 2, q_j = (int) ((x_j - 2) * 2 + 0.5) = j.
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = 2 + j * 0.5f;
        }
        assertBlock(BlockFormat.Q5_1, x, "0038 0040 0000ffff 00112233445566778899aabbccddeeff", x);
    }

    /** amax = 127, so d = 1 and q = roundf(x): halves go away from zero, unlike the K-quants' nearest_int. */
    private static final float[] INT8_BLOCK = new float[32];
    private static final float[] INT8_VALUES = new float[32];

    static {
        float[] head = {-127, -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 100.25f, 126.5f};
        float[] rounded = {-127, -3, -2, -1, 1, 2, 3, 100, 127};
        System.arraycopy(head, 0, INT8_BLOCK, 0, head.length);
        System.arraycopy(rounded, 0, INT8_VALUES, 0, rounded.length);
    }

    @Test
    void q8_0RoundsHalfAwayFromZero() {
        assertBlock(BlockFormat.Q8_0, INT8_BLOCK, "003c 81fdfeff01020364 7f" + "00".repeat(23), INT8_VALUES);
    }

    @Test
    void q8_1StoresTheScaledSum() {
        // sum(q) = -127 - 3 - 2 - 1 + 1 + 2 + 3 + 100 + 127 = 100; s = F16(100 * 1) = 0x5640.
        assertBlock(BlockFormat.Q8_1, INT8_BLOCK, "003c 4056 81fdfeff01020364 7f" + "00".repeat(23), INT8_VALUES);
    }

    @Test
    void q4_KExactGrid() {
        // Each 32-value sub-block holds 0..15 twice. The search starts at min 0, max 15, scale 1, where the error
        // is exactly 0, so it keeps that: every sub-block has scale 1 and minimum 0. The largest scale maps to
        // 63: d = F16(1/63) = 0x2410 (65/4096), dmin = 0; each 6-bit scale is 63, each minimum 0:
        //   bytes 0-3 = 63 | (63 >> 4) << 6 = 0xFF (sub-blocks 0-3, with the high bits of sub-blocks 4-7),
        //   bytes 4-7 = minimums 0, bytes 8-11 = 63 & 0xF = 0x0F (low bits of sub-blocks 4-7).
        // Requantizing against d*63 = 4095/4096 keeps the codes. Byte l of each 64-value chunk holds values l
        // and l+32, both l % 16. Values come back as q * 4095/4096.
        float[] x = new float[256];
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = i % 16;
            expected[i] = (i % 16) * (4095f / 4096f);
        }
        assertBlock(BlockFormat.Q4_K, x,
                "1024 0000 ffffffff 00000000 0f0f0f0f" + repeat("00112233445566778899aabbccddeeff", 8), expected);
    }

    @Test
    void q5_KExactGrid() {
        // As Q4_K, with each sub-block holding 0..31: the same scales; the low nibbles of values l and l+32 of
        // each chunk are both l % 16, and their fifth bits (l >= 16) fill byte l of the fifth-bit array.
        float[] x = new float[256];
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = i % 32;
            expected[i] = (i % 32) * (4095f / 4096f);
        }
        assertBlock(BlockFormat.Q5_K, x,
                "1024 0000 ffffffff 00000000 0f0f0f0f" + repeat("00", 16) + repeat("ff", 16)
                        + repeat("00112233445566778899aabbccddeeff", 8),
                expected);
    }

    @Test
    void q6_KExactGrid() {
        // Each 16-value sub-block holds s*k for k = -32, -28, ..., 28 with s = 1/4. The search starts at
        // iscale = -32 / max = 4, codes k, scale sum(w x l) / sum(w l^2) = s exactly (all sums are exact); no
        // other candidate fits better (Cauchy-Schwarz), so every sub-block scale is 0.25. The largest maps to
        // int8 -128: d = F16(0.25 / -128) = -2^-9 = 0x9800, scales 0x80. Codes k + 32 = 4i (i = 0..15):
        //   low nibbles (4i) & 0xF: 0, 4, 8, 12 repeating; high pairs (4i) >> 4: 0,0,0,0, 1,1,1,1, 2..., 3...
        // Each low byte holds two values with the same code (l and l+64 of a half), each high byte four.
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = 0.25f * (-32 + 4 * (i % 16));
        }
        assertBlock(BlockFormat.Q6_K, x,
                repeat("0044 88cc", 32) + repeat("00000000 55555555 aaaaaaaa ffffffff", 4) + repeat("80", 16)
                        + "0098",
                x);
    }

    @Test
    void q8_KRoundsHalfToEvenAndSumsPerSixteen() {
        // Largest magnitude -254: iscale = -127 / -254 = 0.5, d = 1 / 0.5 = 2 (float32 0x40000000).
        // Codes nearest_int(x / 2): -254 -> -127, 127 -> 63.5 -> 64, 1 -> 0.5 -> 0, 3 -> 1.5 -> 2,
        // 5 -> 2.5 -> 2; x_17 = 2.5 -> 1.25 -> 1. Sums: group 0 = -127 + 64 + 0 + 2 + 2 = -59 (0xFFC5), group 1 = 1.
        float[] x = new float[256];
        x[0] = -254;
        x[1] = 127;
        x[2] = 1;
        x[3] = 3;
        x[4] = 5;
        x[17] = 2.5f;
        float[] expected = new float[256];
        expected[0] = -254;
        expected[1] = 128;
        expected[3] = 4;
        expected[4] = 4;
        expected[17] = 2;
        assertBlock(BlockFormat.Q8_K, x,
                "00000040 81400002 02" + repeat("00", 12) + "01" + repeat("00", 238)
                        + "c5ff 0100" + repeat("0000", 14),
                expected);
    }

    @Test
    void tq1_0PacksBaseThreeWithCeilingScaling() {
        // d = max |x| = 1 (F16 0x3C00), codes t + 1.
        // Byte 0 holds x_0, x_32, x_64, x_96, x_128 = +1, -1, 0, +1, 0: codes 2 0 1 2 1, q = 2*81 + 9 + 2*3 + 1
        //   = 178, stored as ceil(178 * 256 / 243) = 188 (0xBC). All-zero bytes: q = 121 -> 128 (0x80).
        // Byte 35 (second group, values 163 + 16n) has x_227 = -1 at n = 4: q = 120 -> 127 (0x7F).
        // The last 4 bytes hold 4 trits shifted up one: all zero gives 40 * 3 = 120 -> 0x7F; byte 50 has
        //   x_242 = +1 first: (54 + 9 + 3 + 1) * 3 = 201 -> ceil(201 * 256 / 243) = 212 (0xD4).
        float[] x = new float[256];
        x[0] = 1;
        x[32] = -1;
        x[96] = 1;
        x[227] = -1;
        x[242] = 1;
        assertBlock(BlockFormat.TQ1_0, x,
                "bc" + repeat("80", 34) + "7f" + repeat("80", 12) + "7f7fd47f 003c", x);
    }

    @Test
    void tq2_0PacksTwoBitCodes() {
        // d = 2 (F16 0x4000), 1/d = 0.5, codes lroundf(x / 2) + 1 (halves away from zero):
        // x_0 = -2 -> 0, x_32 = 1 -> 0.5 -> 2, x_64 = 0.9 -> 0.45 -> 1, x_96 = -1.1 -> -0.55 -> 0; byte 0 =
        // 0 | 2 << 2 | 1 << 4 | 0 << 6 = 0x18. Zeros are code 1 (0x55 per byte); x_133 = 2 puts code 2 in the
        // low bits of byte 32 + 5: 0x56.
        float[] x = new float[256];
        x[0] = -2;
        x[32] = 1;
        x[64] = 0.9f;
        x[96] = -1.1f;
        x[133] = 2;
        float[] expected = new float[256];
        expected[0] = -2;
        expected[32] = 2;
        expected[96] = -2;
        expected[133] = 2;
        assertBlock(BlockFormat.TQ2_0, x, "18" + repeat("55", 36) + "56" + repeat("55", 26) + "0040", expected);
    }

    @Test
    void i2_sPacksSignsAtStrideThirtyTwo() {
        // Byte b holds values b, b+32, b+64, b+96 at shifts 6, 4, 2, 0. Codes: |x| < 1e-6 -> 1, else x > 0 ? 2 : 0.
        // Byte 0: x_0 = 0.5 (2), x_32 = -0.25 (0), x_64 = 0 (1), x_96 = 1e-7 (1) -> 0b10_00_01_01 = 0x85.
        // Byte 5: x_5 = -3 (0), the rest 0 -> 0x15. Byte 30: x_126 = 1.1e-6 (2) -> 0x56.
        // Byte 31: x_127 = 9.9e-7 (1) -> 0x55.
        // Row codec values are in units of the tensor scale (Quantization adds the scale, tested there).
        float[] x = new float[128];
        x[0] = 0.5f;
        x[32] = -0.25f;
        x[96] = 1e-7f;
        x[5] = -3;
        x[126] = 1.1e-6f;
        x[127] = 9.9e-7f;
        float[] expected = new float[128];
        expected[0] = 1;
        expected[32] = -1;
        expected[5] = -1;
        expected[126] = 1;
        assertBlock(BlockFormat.I2_S, x, "85555555 5515" + repeat("55", 24) + "5655", expected);
    }
}
