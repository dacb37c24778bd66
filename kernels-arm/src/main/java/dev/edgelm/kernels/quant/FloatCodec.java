package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/** F32, F16 and BF16: one value per "block", converted by {@link HalfFloats} where narrower than float. */
final class FloatCodec extends AbstractBlockCodec<Void> {

    static final FloatCodec F32 = new FloatCodec(BlockFormat.F32);
    static final FloatCodec F16 = new FloatCodec(BlockFormat.F16);
    static final FloatCodec BF16 = new FloatCodec(BlockFormat.BF16);

    private FloatCodec(BlockFormat format) {
        super(format);
    }

    @Override
    void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, Void scratch) {
        float value = x[xOffset];
        switch (format()) {
            // Raw bits, so a NaN payload survives the round trip.
            case F32 -> y.set(LittleEndian.INT, yOffset, Float.floatToRawIntBits(value));
            case F16 -> y.set(LittleEndian.SHORT, yOffset, HalfFloats.toF16(value));
            case BF16 -> y.set(LittleEndian.SHORT, yOffset, HalfFloats.toBf16(value));
            default -> throw new AssertionError(format());
        }
    }

    @Override
    void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset) {
        y[yOffset] = switch (format()) {
            case F32 -> Float.intBitsToFloat(x.get(LittleEndian.INT, xOffset));
            case F16 -> HalfFloats.fromF16(x.get(LittleEndian.SHORT, xOffset));
            case BF16 -> HalfFloats.fromBf16(x.get(LittleEndian.SHORT, xOffset));
            default -> throw new AssertionError(format());
        };
    }
}
