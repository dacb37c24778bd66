package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q8_K: 256 int8 codes with a float32 scale and the sums of each 16 codes (int16), which let K-quant dot
 * products subtract sub-block minimums once per sub-block.
 *
 * <p>Encoding ({@code quantize_row_q8_K_ref}): the value of largest magnitude, {@code max}, maps to -127
 * ({@code iscale = -127 / max}, codes {@code min(127, nearest_int(iscale * x))}, {@code d = 1 / iscale}). An
 * all-zero block stores d = 0 and zero codes; ggml leaves its sums unwritten, this writes them as 0.
 *
 * <p>Layout: F32 d, 256 int8 codes, 16 int16 sums.
 */
final class Q8KCodec extends AbstractBlockCodec<Void> {

    static final Q8KCodec INSTANCE = new Q8KCodec();

    private static final int BLOCK = 256;
    private static final int CODES_OFFSET = 4;
    private static final int SUMS_OFFSET = CODES_OFFSET + BLOCK;

    private Q8KCodec() {
        super(BlockFormat.Q8_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float max = BlockStats.signedMaxAbs(x, xOffset, BLOCK);
        if (max == 0) {
            y.asSlice(yOffset, format().blockBytes()).fill((byte) 0);
            return;
        }
        float iscale = -127.f / max;
        for (int j = 0; j < BLOCK; j++) {
            int v = CRounding.nearestInt(iscale * x[xOffset + j]);
            LittleEndian.put8(y, yOffset + CODES_OFFSET + j, Math.min(127, v));
        }
        for (int group = 0; group < BLOCK / 16; group++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += LittleEndian.s8(y, yOffset + CODES_OFFSET + 16 * group + i);
            }
            y.set(LittleEndian.SHORT, yOffset + SUMS_OFFSET + 2L * group, (short) sum);
        }
        y.set(LittleEndian.FLOAT, yOffset, 1 / iscale);
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = x.get(LittleEndian.FLOAT, xOffset);
        for (int j = 0; j < BLOCK; j++) {
            y[yOffset + j] = d * LittleEndian.s8(x, xOffset + CODES_OFFSET + j);
        }
    }
}
