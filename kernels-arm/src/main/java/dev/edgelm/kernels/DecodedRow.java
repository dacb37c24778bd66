package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.KQuantScales;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One weight row decoded to small signed integer codes, with a float scale and minimum per group of values
 * (value = scale * code - minimum): the common form in which {@link VectorKernels} runs matrix products, so
 * that each row's bytes are read once however many activation columns use them.
 *
 * <p>Codes stay within int8 for every format (Q6_K: -32..31, the 5-bit formats: 0..31 or -16..15), which is
 * what bounds the vector kernels' 16-bit products. Groups are 32 values, 16 for Q6_K (its scale granularity).
 * This class holds the scalar decoders; {@link VectorKernels} decodes its hottest formats with vectors.
 */
final class DecodedRow {

    private static final ValueLayout.OfShort F16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] POW3 = {1, 3, 9, 27, 81};
    /** TQ1_0's byte groups: first value, bytes (the stride between a byte's trits), trits per byte. */
    private static final int[][] TQ1_GROUPS = {{0, 32, 5}, {160, 16, 5}, {240, 4, 4}};

    final short[] codes;
    final float[] scales;
    final float[] mins;
    /** log2 of the group size. */
    final int groupShift;
    final boolean withMins;

    /** Scratch for rows of {@code w}. */
    DecodedRow(WeightMatrix w) {
        BlockFormat format = w.format();
        this.groupShift = format == BlockFormat.Q6_K ? 4 : 5;
        this.codes = new short[w.cols()];
        this.scales = new float[w.cols() >> groupShift];
        this.withMins = switch (format) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> true;
            default -> false;
        };
        this.mins = withMins ? new float[scales.length] : null;
    }

    /** Decodes row {@code row} of w with the scalar decoders (any integer format but the ones done in vectors). */
    void decode(WeightMatrix w, int row) {
        MemorySegment m = w.data();
        long start = row * w.rowBytes();
        int blocks = w.cols() / w.format().blockSize();
        float tensorScale = w.tensorScale();
        for (int b = 0; b < blocks; b++) {
            long at = start + (long) b * w.format().blockBytes();
            switch (w.format()) {
                case Q4_1, Q5_0, Q5_1 -> legacy(w.format(), m, at, b);
                case Q5_K -> q5K(m, at, b);
                case Q6_K -> q6K(m, at, b);
                case TQ1_0 -> tq1(m, at, b);
                case I2_S -> i2s(m, at, b, tensorScale);
                default -> throw new IllegalArgumentException(w.format() + " has no scalar row decoder");
            }
        }
    }

    /** Q4_1, Q5_0, Q5_1: value j in the low nibble of byte j, j + 16 in the high; fifth bits in a word. */
    private void legacy(BlockFormat format, MemorySegment m, long at, int b) {
        boolean affine = format != BlockFormat.Q5_0;
        boolean five = format != BlockFormat.Q4_1;
        int highBits = five ? m.get(INT, at + (affine ? 4 : 2)) : 0;
        long nibbles = at + (affine ? 4 : 2) + (five ? 4 : 0);
        int zero = affine ? 0 : 16; // Q5_0 stores q + 16
        for (int j = 0; j < 16; j++) {
            int q = m.get(ValueLayout.JAVA_BYTE, nibbles + j) & 0xFF;
            codes[32 * b + j] = (short) ((q & 0xF | (highBits >>> j & 1) << 4) - zero);
            codes[32 * b + 16 + j] = (short) ((q >> 4 | (highBits >>> (j + 16) & 1) << 4) - zero);
        }
        scales[b] = f16(m, at);
        if (affine) {
            mins[b] = -f16(m, at + 2); // value = d q + m
        }
    }

    /** Q5_K: as Q4_K plus fifth bits: bit 2c (low) and 2c + 1 (high) of byte l for chunk c. */
    private void q5K(MemorySegment m, long at, int b) {
        long scaleBytes = KQuantScales.scales(m, at + KQuantScales.OFFSET);
        long minBytes = KQuantScales.mins(m, at + KQuantScales.OFFSET);
        float d = f16(m, at);
        float dmin = f16(m, at + 2);
        for (int j = 0; j < 8; j++) {
            scales[8 * b + j] = d * (int) (scaleBytes >>> (8 * j) & 0xFF);
            mins[8 * b + j] = dmin * (int) (minBytes >>> (8 * j) & 0xFF);
        }
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) {
                int q = m.get(ValueLayout.JAVA_BYTE, at + 48 + 32 * chunk + l) & 0xFF;
                int h = (m.get(ValueLayout.JAVA_BYTE, at + 16 + l) & 0xFF) >> (2 * chunk);
                codes[256 * b + 64 * chunk + l] = (short) (q & 0xF | (h & 1) << 4);
                codes[256 * b + 64 * chunk + 32 + l] = (short) (q >> 4 | (h >> 1 & 1) << 4);
            }
        }
    }

    /** Q6_K: see the codec for the layout; codes q - 32, one scale per 16 values. */
    private void q6K(MemorySegment m, long at, int b) {
        float d = f16(m, at + 208);
        for (int j = 0; j < 16; j++) {
            scales[16 * b + j] = d * m.get(ValueLayout.JAVA_BYTE, at + 192 + j);
        }
        for (int half = 0; half < 2; half++) {
            long low = at + 64 * half;
            long high = at + 128 + 32 * half;
            int out = 256 * b + 128 * half;
            for (int l = 0; l < 32; l++) {
                int lowA = m.get(ValueLayout.JAVA_BYTE, low + l) & 0xFF;
                int lowB = m.get(ValueLayout.JAVA_BYTE, low + 32 + l) & 0xFF;
                int h = m.get(ValueLayout.JAVA_BYTE, high + l) & 0xFF;
                codes[out + l] = (short) ((lowA & 0xF | (h & 3) << 4) - 32);
                codes[out + 32 + l] = (short) ((lowB & 0xF | (h >> 2 & 3) << 4) - 32);
                codes[out + 64 + l] = (short) ((lowA >> 4 | (h >> 4 & 3) << 4) - 32);
                codes[out + 96 + l] = (short) ((lowB >> 4 | (h >> 6 & 3) << 4) - 32);
            }
        }
    }

    /** TQ1_0: base-3 trits extracted by multiplication (see the codec); one scale for the block. */
    private void tq1(MemorySegment m, long at, int b) {
        long bytes = at;
        for (int[] group : TQ1_GROUPS) {
            for (int n = 0; n < group[2]; n++) {
                for (int i = 0; i < group[1]; i++) {
                    int q = ((m.get(ValueLayout.JAVA_BYTE, bytes + i) & 0xFF) * POW3[n]) & 0xFF;
                    codes[256 * b + group[0] + n * group[1] + i] = (short) (((q * 3) >> 8) - 1);
                }
            }
            bytes += group[1];
        }
        java.util.Arrays.fill(scales, 8 * b, 8 * b + 8, f16(m, at + 52));
    }

    /** I2_S: value j of a 128-group is the 2-bit code in byte j % 32 at shift 6 - 2 (j / 32); 0, 1, 2 = -1, 0, 1. */
    private void i2s(MemorySegment m, long at, int b, float tensorScale) {
        for (int i = 0; i < 32; i++) {
            int packed = m.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF;
            for (int g = 0; g < 4; g++) {
                int code = packed >> (6 - 2 * g) & 3;
                codes[128 * b + 32 * g + i] = (short) (code == 3 ? 0 : code - 1);
            }
        }
        java.util.Arrays.fill(scales, 4 * b, 4 * b + 4, tensorScale);
    }

    private static float f16(MemorySegment m, long offset) {
        return Float.float16ToFloat(m.get(F16, offset));
    }
}
