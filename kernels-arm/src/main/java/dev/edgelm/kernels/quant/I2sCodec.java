package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * I2_S rows, without the per-tensor scale (see {@link BlockFormat#I2_S} for the layout and {@link Quantization}
 * for the scale). Encoding follows microsoft/BitNet's {@code quantize_i2_s} (src/ggml-bitnet-mad.cpp): the code
 * is 1 (zero) when {@code |x| < 1e-6}, else 2 (+1) when x is positive and 0 (-1) otherwise, NaN included. The
 * magnitude plays no part: BitNet's converter hands it weights that are already ternary times one scale.
 * Decoding gives -1, 0, +1 (and 0 for the unused code 3), as BitNet's {@code dequantize_row_i2_s} before its
 * multiplication by the scale.
 */
final class I2sCodec extends AbstractBlockCodec<Void> {

    static final I2sCodec INSTANCE = new I2sCodec();

    private static final int GROUP = 32;
    private static final float[] VALUES = {-1.0f, 0.0f, 1.0f, 0.0f};
    /** BitNet's threshold, compared in double. */
    private static final double ZERO_BELOW = 1e-6;

    private I2sCodec() {
        super(BlockFormat.I2_S);
    }

    static int code(float x) {
        if (Math.abs((double) x) < ZERO_BELOW) {
            return 1;
        }
        return x > 0 ? 2 : 0;
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        for (int b = 0; b < GROUP; b++) {
            int packed = 0;
            for (int g = 0; g < 4; g++) {
                packed |= code(x[xOffset + GROUP * g + b]) << (6 - 2 * g);
            }
            LittleEndian.put8(y, yOffset + b, packed);
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        for (int b = 0; b < GROUP; b++) {
            int packed = LittleEndian.u8(x, xOffset + b);
            for (int g = 0; g < 4; g++) {
                y[yOffset + GROUP * g + b] = VALUES[packed >> (6 - 2 * g) & 3];
            }
        }
    }
}
