package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K and Q5_K: super-blocks of 256 values in 8 sub-blocks of 32, each with its own scale and minimum,
 * quantized to 6 bits against two F16 super-block factors {@code d} and {@code dmin}; value
 * {@code d*sc*q - dmin*m}.
 *
 * <p>Encoding ({@code quantize_row_q4_K_ref}, {@code quantize_row_q5_K_ref}): each sub-block's scale and minimum
 * come from the weighted {@link KQuantSearch.Affine} search (weights {@code rms(x) + |x|}); the largest of each
 * becomes 63; the codes are then recomputed against the rounded factors, except in a sub-block whose rounded
 * scale is 0, which keeps the search's codes.
 *
 * <p>Layout: F16 d, F16 dmin, 12 bytes of 6-bit pairs (sub-block j &lt; 4: scale in byte j and minimum in byte
 * j+4, low 6 bits; j &ge; 4: low 4 bits of each in byte j+4, high 2 bits in the top of bytes j-4 and j), then,
 * for Q5_K, 32 bytes of fifth bits, then 128 bytes of nibbles. Each 64-value chunk c uses 32 nibble bytes:
 * value l in the low nibble of byte l, value 32+l in the high one; their fifth bits are bits 2c and 2c+1 of
 * byte l of the fifth-bit array.
 */
final class ScaleMinKCodec extends AbstractBlockCodec<ScaleMinKCodec.Scratch> {

    private static final int BLOCK = 256;
    private static final int SUB = 32;
    private static final int SUBS = BLOCK / SUB;
    private static final int SCALES_OFFSET = 4;
    private static final int HIGH_BITS_OFFSET = SCALES_OFFSET + 12;
    private static final int SCALE_BITS_MAX = 63;

    static final ScaleMinKCodec Q4_K = new ScaleMinKCodec(BlockFormat.Q4_K, 4,
            new KQuantSearch.Affine(15, -1.0f, 0.1f, 20));
    static final ScaleMinKCodec Q5_K = new ScaleMinKCodec(BlockFormat.Q5_K, 5,
            new KQuantSearch.Affine(31, -0.5f, 0.1f, 15));

    private final boolean fiveBits;
    private final KQuantSearch.Affine search;
    private final int nibblesOffset;

    private ScaleMinKCodec(BlockFormat format, int bits, KQuantSearch.Affine search) {
        super(format);
        this.fiveBits = bits == 5;
        this.search = search;
        this.nibblesOffset = HIGH_BITS_OFFSET + (fiveBits ? BLOCK / 8 : 0);
    }

    /** Working arrays for one row. */
    static final class Scratch {
        final float[] weights = new float[SUB];
        final int[] levels = new int[BLOCK];
        final int[] levelsAux = new int[SUB];
        final float[] scales = new float[SUBS];
        final float[] negatedMins = new float[SUBS];
    }

    @Override
    Scratch newScratch() {
        return new Scratch();
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Scratch s) {
        float maxScale = 0; // scales are positive, since the minimum is taken out
        float maxMin = 0;
        for (int j = 0; j < SUBS; j++) {
            int sub = xOffset + SUB * j;
            float sumX2 = 0;
            for (int l = 0; l < SUB; l++) {
                sumX2 += x[sub + l] * x[sub + l];
            }
            float rms = (float) Math.sqrt(sumX2 / SUB); // correctly rounded, as sqrtf
            for (int l = 0; l < SUB; l++) {
                s.weights[l] = rms + Math.abs(x[sub + l]);
            }
            s.scales[j] = search.search(x, sub, s.weights, s.levels, SUB * j, s.levelsAux, s.negatedMins, j);
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.negatedMins[j] > maxMin) {
                maxMin = s.negatedMins[j];
            }
        }

        float invScale = maxScale > 0 ? SCALE_BITS_MAX / maxScale : 0.f;
        float invMin = maxMin > 0 ? SCALE_BITS_MAX / maxMin : 0.f;
        long scales = yOffset + SCALES_OFFSET;
        for (int j = 0; j < SUBS; j++) {
            // The C code stores nearest_int into a uint8_t before clamping: keep that wrap-around.
            int ls = Math.min(SCALE_BITS_MAX, CRounding.nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(SCALE_BITS_MAX, CRounding.nearestInt(invMin * s.negatedMins[j]) & 0xFF);
            putScaleMin(y, scales, j, ls, lm);
        }
        LittleEndian.putF16(y, yOffset, maxScale / SCALE_BITS_MAX);
        LittleEndian.putF16(y, yOffset + 2, maxMin / SCALE_BITS_MAX);

        float d = LittleEndian.f16(y, yOffset);
        float dmin = LittleEndian.f16(y, yOffset + 2);
        for (int j = 0; j < SUBS; j++) {
            float subScale = d * scale(y, scales, j);
            if (subScale == 0) {
                continue;
            }
            float subMin = dmin * min(y, scales, j);
            for (int l = 0; l < SUB; l++) {
                int level = CRounding.nearestInt((x[xOffset + SUB * j + l] + subMin) / subScale);
                s.levels[SUB * j + l] = KQuantSearch.clamp(level, 0, search.nmax());
            }
        }

        if (fiveBits) {
            y.asSlice(yOffset + HIGH_BITS_OFFSET, BLOCK / 8).fill((byte) 0);
        }
        for (int chunk = 0; chunk < BLOCK / 64; chunk++) {
            for (int l = 0; l < SUB; l++) {
                int low = s.levels[64 * chunk + l];
                int high = s.levels[64 * chunk + SUB + l];
                LittleEndian.put8(y, yOffset + nibblesOffset + SUB * chunk + l, (low & 0xF) | (high & 0xF) << 4);
                if (fiveBits) {
                    long at = yOffset + HIGH_BITS_OFFSET + l;
                    LittleEndian.put8(y, at, LittleEndian.u8(y, at) | (low >> 4) << (2 * chunk)
                            | (high >> 4) << (2 * chunk + 1));
                }
            }
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset);
        float dmin = LittleEndian.f16(x, xOffset + 2);
        long scales = xOffset + SCALES_OFFSET;
        for (int chunk = 0; chunk < BLOCK / 64; chunk++) {
            float d1 = d * scale(x, scales, 2 * chunk);
            float m1 = dmin * min(x, scales, 2 * chunk);
            float d2 = d * scale(x, scales, 2 * chunk + 1);
            float m2 = dmin * min(x, scales, 2 * chunk + 1);
            for (int l = 0; l < SUB; l++) {
                int nibbles = LittleEndian.u8(x, xOffset + nibblesOffset + SUB * chunk + l);
                int highBits = fiveBits ? LittleEndian.u8(x, xOffset + HIGH_BITS_OFFSET + l) >> (2 * chunk) : 0;
                int q1 = (nibbles & 0xF) + ((highBits & 1) << 4);
                int q2 = (nibbles >> 4) + ((highBits >> 1 & 1) << 4);
                y[yOffset + 64 * chunk + l] = d1 * q1 - m1;
                y[yOffset + 64 * chunk + SUB + l] = d2 * q2 - m2;
            }
        }
    }

    /** Stores sub-block j's 6-bit scale and minimum; sub-blocks must be stored in order 0 to 7. */
    private static void putScaleMin(MemorySegment y, long scales, int j, int scale, int min) {
        if (j < 4) {
            LittleEndian.put8(y, scales + j, scale);
            LittleEndian.put8(y, scales + j + 4, min);
        } else {
            LittleEndian.put8(y, scales + j + 4, (scale & 0xF) | (min & 0xF) << 4);
            LittleEndian.put8(y, scales + j - 4, LittleEndian.u8(y, scales + j - 4) | (scale >> 4) << 6);
            LittleEndian.put8(y, scales + j, LittleEndian.u8(y, scales + j) | (min >> 4) << 6);
        }
    }

    /** Sub-block j's 6-bit scale ({@code get_scale_min_k4}). */
    static int scale(MemorySegment x, long scales, int j) {
        if (j < 4) {
            return LittleEndian.u8(x, scales + j) & 63;
        }
        return (LittleEndian.u8(x, scales + j + 4) & 0xF) | (LittleEndian.u8(x, scales + j - 4) >> 6) << 4;
    }

    /** Sub-block j's 6-bit minimum ({@code get_scale_min_k4}). */
    static int min(MemorySegment x, long scales, int j) {
        if (j < 4) {
            return LittleEndian.u8(x, scales + j + 4) & 63;
        }
        return (LittleEndian.u8(x, scales + j + 4) >> 4) | (LittleEndian.u8(x, scales + j) >> 6) << 4;
    }
}
