package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: super-blocks of 256 values in 16 sub-blocks of 16; 6-bit codes q (value {@code q - 32}), an int8 scale
 * per sub-block and one F16 factor d; value {@code d * sc * (q - 32)}.
 *
 * <p>Encoding ({@code quantize_row_q6_K_ref}): each sub-block gets a scale from the {@link KQuantSearch#symmetric}
 * search; the scale of largest magnitude maps to int8 -128 ({@code d = max / -128}); codes are recomputed
 * against the rounded scales, except in sub-blocks whose rounded scale is 0. A super-block whose scales are
 * all below {@link KQuantSearch#GROUP_MAX_EPS} is all zero bytes.
 *
 * <p>Layout: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales, F16 d. Each 128-value half
 * h uses 64 low-nibble bytes and 32 high bytes: for l &lt; 32, values l, 32+l, 64+l, 96+l of the half take the
 * low nibble of byte l, of byte 32+l, the high nibble of byte l, of byte 32+l, and bits 0-1, 2-3, 4-5, 6-7 of
 * high byte l.
 */
final class Q6KCodec extends AbstractBlockCodec<Q6KCodec.Scratch> {

    static final Q6KCodec INSTANCE = new Q6KCodec();

    private static final int BLOCK = 256;
    private static final int SUB = 16;
    private static final int SUBS = BLOCK / SUB;
    private static final int HIGH_OFFSET = 128;
    private static final int SCALES_OFFSET = 192;
    private static final int D_OFFSET = 208;

    private Q6KCodec() {
        super(BlockFormat.Q6_K);
    }

    /** Working arrays for one row. */
    static final class Scratch {
        final int[] levels = new int[BLOCK];
        final float[] scales = new float[SUBS];
    }

    @Override
    Scratch newScratch() {
        return new Scratch();
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Scratch s) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < SUBS; ib++) {
            float scale = KQuantSearch.symmetric(SUB, 32, x, xOffset + SUB * ib, s.levels, SUB * ib);
            s.scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < KQuantSearch.GROUP_MAX_EPS) {
            y.asSlice(yOffset, format().blockBytes()).fill((byte) 0); // F16 zero is all zero bits too
            return;
        }

        float iscale = -128.f / maxScale;
        LittleEndian.putF16(y, yOffset + D_OFFSET, 1 / iscale);
        for (int ib = 0; ib < SUBS; ib++) {
            LittleEndian.put8(y, yOffset + SCALES_OFFSET + ib,
                    Math.min(127, CRounding.nearestInt(iscale * s.scales[ib])));
        }

        float d = LittleEndian.f16(y, yOffset + D_OFFSET);
        for (int j = 0; j < SUBS; j++) {
            float subScale = d * LittleEndian.s8(y, yOffset + SCALES_OFFSET + j);
            if (subScale == 0) {
                continue;
            }
            for (int i = 0; i < SUB; i++) {
                int l = CRounding.nearestInt(x[xOffset + SUB * j + i] / subScale);
                s.levels[SUB * j + i] = KQuantSearch.clamp(l, -32, 31) + 32;
            }
        }

        for (int half = 0; half < 2; half++) {
            int[] q = s.levels;
            int base = 128 * half;
            long low = yOffset + 64 * half;
            long high = yOffset + HIGH_OFFSET + 32 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = q[base + l];
                int q2 = q[base + 32 + l];
                int q3 = q[base + 64 + l];
                int q4 = q[base + 96 + l];
                LittleEndian.put8(y, low + l, (q1 & 0xF) | (q3 & 0xF) << 4);
                LittleEndian.put8(y, low + 32 + l, (q2 & 0xF) | (q4 & 0xF) << 4);
                LittleEndian.put8(y, high + l, q1 >> 4 | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset + D_OFFSET);
        for (int half = 0; half < 2; half++) {
            long low = xOffset + 64 * half;
            long high = xOffset + HIGH_OFFSET + 32 * half;
            long scales = xOffset + SCALES_OFFSET + 8 * half;
            int out = yOffset + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lowA = LittleEndian.u8(x, low + l);
                int lowB = LittleEndian.u8(x, low + 32 + l);
                int h = LittleEndian.u8(x, high + l);
                int q1 = ((lowA & 0xF) | (h & 3) << 4) - 32;
                int q2 = ((lowB & 0xF) | (h >> 2 & 3) << 4) - 32;
                int q3 = ((lowA >> 4) | (h >> 4 & 3) << 4) - 32;
                int q4 = ((lowB >> 4) | (h >> 6 & 3) << 4) - 32;
                y[out + l] = d * LittleEndian.s8(x, scales + is) * q1;
                y[out + 32 + l] = d * LittleEndian.s8(x, scales + is + 2) * q2;
                y[out + 64 + l] = d * LittleEndian.s8(x, scales + is + 4) * q3;
                y[out + 96 + l] = d * LittleEndian.s8(x, scales + is + 6) * q4;
            }
        }
    }
}
