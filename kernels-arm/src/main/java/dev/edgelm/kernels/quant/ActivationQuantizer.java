package dev.edgelm.kernels.quant;

/**
 * Quantizes activation blocks to the int8 codes that dot-product kernels consume, widened to {@code short} so
 * that vector kernels load them straight into 16-bit lanes.
 *
 * <p>The codes and scales are exactly those the reference codecs write: {@link BlockFormat#Q8_0} (whose F16
 * scale is returned already widened to float) and {@link BlockFormat#Q8_K} (float32 scale). Codes lie in
 * [-127, 127] for every finite input, which is what bounds the kernels' 16-bit partial sums.
 */
public final class ActivationQuantizer {

    /** Values per Q8_0 block. */
    public static final int Q8_0_BLOCK = 32;
    /** Values per Q8_K block. */
    public static final int Q8_K_BLOCK = 256;

    private ActivationQuantizer() {}

    /**
     * Quantizes {@code x[offset .. offset + 32)} as Q8_0 into {@code codes[codesOffset ..]} and returns the
     * block's scale as stored (F16, widened back to float).
     */
    public static float quantizeQ8_0(float[] x, int offset, short[] codes, int codesOffset) {
        float d = BlockStats.maxAbs(x, offset, Q8_0_BLOCK) / 127;
        float id = BlockStats.inverseOrZero(d);
        for (int j = 0; j < Q8_0_BLOCK; j++) {
            codes[codesOffset + j] = q8_0Code(x[offset + j], id);
        }
        return HalfFloats.fromF16(HalfFloats.toF16(d));
    }

    /** As {@link #quantizeQ8_0(float[], int, short[], int)}, into bytes (a Q8_0 KV cache stores them so). */
    public static float quantizeQ8_0(float[] x, int offset, byte[] codes, int codesOffset) {
        float d = BlockStats.maxAbs(x, offset, Q8_0_BLOCK) / 127;
        float id = BlockStats.inverseOrZero(d);
        for (int j = 0; j < Q8_0_BLOCK; j++) {
            codes[codesOffset + j] = (byte) q8_0Code(x[offset + j], id);
        }
        return HalfFloats.fromF16(HalfFloats.toF16(d));
    }

    private static byte q8_0Code(float x, float inverseScale) {
        return (byte) CRounding.truncate(CRounding.roundHalfAway(x * inverseScale));
    }

    /**
     * Quantizes {@code x[offset .. offset + 256)} as Q8_K into {@code codes[codesOffset ..]} and returns the
     * block's float32 scale (0 for an all-zero block, whose codes are all 0).
     */
    public static float quantizeQ8K(float[] x, int offset, short[] codes, int codesOffset) {
        float max = BlockStats.signedMaxAbs(x, offset, Q8_K_BLOCK);
        if (max == 0) {
            java.util.Arrays.fill(codes, codesOffset, codesOffset + Q8_K_BLOCK, (short) 0);
            return 0;
        }
        float iscale = -127.f / max;
        for (int j = 0; j < Q8_K_BLOCK; j++) {
            // Stored as int8 in ggml, so keep the byte wrap-around of out-of-range (NaN) codes.
            codes[codesOffset + j] = (byte) Math.min(127, CRounding.nearestInt(iscale * x[offset + j]));
        }
        return 1 / iscale;
    }
}
