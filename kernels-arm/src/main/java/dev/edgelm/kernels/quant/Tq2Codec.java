package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * TQ2_0: 256 ternary values t in {-1, 0, 1} with an F16 scale d = max |x|; value {@code t * d}, stored as the
 * 2-bit code {@code t + 1}. Layout: 64 bytes, then F16 d; within each 128-value half h, byte {@code 32h + m}
 * holds values {@code 128h + m + 32n} at bit shift {@code 2n} (n = 0..3).
 */
final class Tq2Codec extends AbstractBlockCodec<Void> {

    static final Tq2Codec INSTANCE = new Tq2Codec();

    private static final int BLOCK = 256;
    private static final int D_OFFSET = 64;

    private Tq2Codec() {
        super(BlockFormat.TQ2_0);
    }

    /**
     * {@code (int) (lroundf(scaled) + 1)}: 0, 1, 2 for -1, 0, +1 (other values only for NaN or |scaled| &gt; 1,
     * carried through exactly as the C code's integer arithmetic does; TQ1_0 shares it).
     */
    static int trit(float scaled) {
        return (int) (CRounding.lround(scaled) + 1);
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float d = BlockStats.maxAbs(x, xOffset, BLOCK);
        float id = BlockStats.inverseOrZero(d);
        LittleEndian.putF16(y, yOffset + D_OFFSET, d);
        for (int half = 0; half < 2; half++) {
            for (int m = 0; m < 32; m++) {
                int q = 0;
                for (int n = 0; n < 4; n++) {
                    q += (trit(x[xOffset + 128 * half + m + 32 * n] * id) & 3) << (2 * n);
                }
                LittleEndian.put8(y, yOffset + 32 * half + m, q);
            }
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset + D_OFFSET);
        for (int half = 0; half < 2; half++) {
            for (int n = 0; n < 4; n++) {
                for (int m = 0; m < 32; m++) {
                    int code = LittleEndian.u8(x, xOffset + 32 * half + m) >> (2 * n) & 3;
                    y[yOffset + 128 * half + 32 * n + m] = (float) (code - 1) * d;
                }
            }
        }
    }
}
