package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0, Q4_1, Q5_0 and Q5_1: blocks of 32 values with 4 or 5 bits each, an F16 scale and, for the affine
 * {@code _1} formats, an F16 minimum.
 *
 * <p>Encoding ({@code quantize_row_q4_0_ref} and siblings): the symmetric formats take the value of largest
 * magnitude, {@code max}, and use {@code d = max / -2^(bits-1)}, so that value lands exactly on code 0 and the
 * codes are {@code min(2^bits - 1, (int8) (x/d + 2^(bits-1) + 0.5))}. The affine formats use
 * {@code d = (max - min) / (2^bits - 1)} and codes {@code (int8) ((x - min)/d + 0.5)}. Codes of value j and
 * j+16 share byte j (j low nibble, j+16 high); the fifth bit of value j is bit j of a 32-bit word.
 */
final class Legacy32Codec extends AbstractBlockCodec<Void> {

    private static final int BLOCK = 32;
    private static final int HALF = BLOCK / 2;

    static final Legacy32Codec Q4_0 = new Legacy32Codec(BlockFormat.Q4_0, 4, false);
    static final Legacy32Codec Q4_1 = new Legacy32Codec(BlockFormat.Q4_1, 4, true);
    static final Legacy32Codec Q5_0 = new Legacy32Codec(BlockFormat.Q5_0, 5, false);
    static final Legacy32Codec Q5_1 = new Legacy32Codec(BlockFormat.Q5_1, 5, true);

    private final boolean fiveBits;
    private final boolean affine;
    private final int maxCode;
    /** Code of the value 0 in the symmetric formats. */
    private final int zeroCode;
    private final int highBitsOffset;
    private final int nibblesOffset;

    private Legacy32Codec(BlockFormat format, int bits, boolean affine) {
        super(format);
        this.fiveBits = bits == 5;
        this.affine = affine;
        this.maxCode = (1 << bits) - 1;
        this.zeroCode = 1 << (bits - 1);
        this.highBitsOffset = affine ? 4 : 2;
        this.nibblesOffset = highBitsOffset + (fiveBits ? 4 : 0);
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float d;
        float base; // subtracted before scaling: the minimum, or 0 (an exact no-op) for the symmetric formats
        float bias; // added before truncating, which makes the truncation round half up
        if (affine) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < BLOCK; j++) {
                float v = x[xOffset + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            d = (max - min) / maxCode;
            base = min;
            bias = 0.5f;
            LittleEndian.putF16(y, yOffset + 2, min);
        } else {
            d = BlockStats.signedMaxAbs(x, xOffset, BLOCK) / -zeroCode;
            base = 0;
            bias = zeroCode + 0.5f;
        }
        float id = BlockStats.inverseOrZero(d);
        LittleEndian.putF16(y, yOffset, d);

        int highBits = 0;
        for (int j = 0; j < HALF; j++) {
            int q0 = code((x[xOffset + j] - base) * id + bias);
            int q1 = code((x[xOffset + HALF + j] - base) * id + bias);
            LittleEndian.put8(y, yOffset + nibblesOffset + j, (q0 & 0xF) | (q1 & 0xF) << 4);
            highBits |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + HALF);
        }
        if (fiveBits) {
            y.set(LittleEndian.INT, yOffset + highBitsOffset, highBits);
        }
    }

    /**
     * {@code MIN(maxCode, (int8_t) v)} as an unsigned byte. (Q5_1's reference casts to {@code uint8_t} without
     * the MIN; its codes never exceed 31.5 before truncation, so the two agree.)
     */
    private int code(float v) {
        return Math.min(maxCode, (byte) CRounding.truncate(v)) & 0xFF;
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset);
        float m = affine ? LittleEndian.f16(x, xOffset + 2) : 0;
        int highBits = fiveBits ? x.get(LittleEndian.INT, xOffset + highBitsOffset) : 0;
        for (int j = 0; j < HALF; j++) {
            int nibbles = LittleEndian.u8(x, xOffset + nibblesOffset + j);
            int q0 = nibbles & 0xF | (highBits >>> j & 1) << 4;
            int q1 = nibbles >> 4 | (highBits >>> (j + HALF) & 1) << 4;
            // Two expressions, not one with m = 0: q*d + 0 would turn a -0 into +0.
            y[yOffset + j] = affine ? q0 * d + m : (q0 - zeroCode) * d;
            y[yOffset + HALF + j] = affine ? q1 * d + m : (q1 - zeroCode) * d;
        }
    }
}
