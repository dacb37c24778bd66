package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0 and Q8_1: 32 int8 codes with an F16 scale {@code d = amax / 127}, codes {@code roundf(x / d)}; Q8_1 also
 * stores {@code F16(d * sum(codes))}, which lets a dot product with an affine weight block fold its minimum in.
 */
final class Int8Codec extends AbstractBlockCodec<Void> {

    private static final int BLOCK = 32;

    static final Int8Codec Q8_0 = new Int8Codec(BlockFormat.Q8_0, false);
    static final Int8Codec Q8_1 = new Int8Codec(BlockFormat.Q8_1, true);

    private final boolean withSum;
    private final int codesOffset;

    private Int8Codec(BlockFormat format, boolean withSum) {
        super(format);
        this.withSum = withSum;
        this.codesOffset = withSum ? 4 : 2;
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float d = BlockStats.maxAbs(x, xOffset, BLOCK) / 127;
        float id = BlockStats.inverseOrZero(d);
        LittleEndian.putF16(y, yOffset, d);

        int sum = 0;
        for (int j = 0; j < BLOCK; j++) {
            byte q = (byte) CRounding.truncate(CRounding.roundHalfAway(x[xOffset + j] * id));
            LittleEndian.put8(y, yOffset + codesOffset + j, q);
            sum += q;
        }
        if (withSum) {
            LittleEndian.putF16(y, yOffset + 2, sum * d);
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        float d = LittleEndian.f16(x, xOffset);
        for (int j = 0; j < BLOCK; j++) {
            y[yOffset + j] = LittleEndian.s8(x, xOffset + codesOffset + j) * d;
        }
    }
}
