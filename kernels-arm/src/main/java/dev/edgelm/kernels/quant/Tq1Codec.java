package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * TQ1_0: 256 ternary values t in {-1, 0, 1} with an F16 scale d = max |x|; value {@code t * d}.
 *
 * <p>Trits {@code t + 1} are packed in base 3, most significant first, and each byte is stored as
 * {@code ceil(q * 256 / 243)}, so that a decoder extracts trit n with a multiply and a shift instead of a
 * division: {@code ((byte * 3^n mod 256) * 3) >> 8}. Layout: 32 bytes holding values {@code m + 32n}
 * (n = 0..4) in byte m, then 16 bytes holding values {@code 160 + m + 16n}, then 4 bytes holding 4 values
 * {@code 240 + m + 4n} each (shifted up one trit), then F16 d.
 */
final class Tq1Codec extends AbstractBlockCodec<Void> {

    static final Tq1Codec INSTANCE = new Tq1Codec();

    private static final int BLOCK = 256;
    private static final int D_OFFSET = 52;
    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};

    /** The three groups of bytes: first value, bytes (= stride between trits of a byte), trits per byte. */
    private static final int[][] GROUPS = {{0, 32, 5}, {160, 16, 5}, {240, 4, 4}};

    private Tq1Codec() {
        super(BlockFormat.TQ1_0);
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float d = BlockStats.maxAbs(x, xOffset, BLOCK);
        float id = BlockStats.inverseOrZero(d);
        LittleEndian.putF16(y, yOffset + D_OFFSET, d);
        long at = yOffset;
        for (int[] group : GROUPS) {
            int first = group[0];
            int bytes = group[1];
            int trits = group[2];
            for (int m = 0; m < bytes; m++) {
                int q = 0;
                for (int n = 0; n < 5; n++) {
                    // Bytes with fewer than 5 trits are shifted so their first trit is the most significant.
                    int trit = n < trits ? Tq2Codec.trit(x[xOffset + first + m + n * bytes] * id) : 0;
                    q = (q * 3 + trit) & 0xFF;
                }
                LittleEndian.put8(y, at + m, (q * 256 + 242) / 243);
            }
            at += bytes;
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset + D_OFFSET);
        long at = xOffset;
        for (int[] group : GROUPS) {
            int first = group[0];
            int bytes = group[1];
            for (int n = 0; n < group[2]; n++) {
                for (int m = 0; m < bytes; m++) {
                    int q = (LittleEndian.u8(x, at + m) * POW3[n]) & 0xFF;
                    int t = (q * 3) >> 8;
                    y[yOffset + first + n * bytes + m] = (float) (t - 1) * d;
                }
            }
            at += bytes;
        }
    }
}
