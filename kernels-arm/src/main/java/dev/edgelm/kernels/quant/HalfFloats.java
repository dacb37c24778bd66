package dev.edgelm.kernels.quant;

/**
 * Conversions between {@code float} and the two 16-bit float formats, bit-identical to ggml's reference
 * conversions ({@code ggml_compute_fp32_to_fp16} and friends in {@code ggml-impl.h}).
 *
 * <p>Both narrowings round to nearest, ties to even, keep subnormals and overflow to infinity. They differ in
 * NaNs, exactly as ggml does: F16 turns every NaN into the quiet NaN {@code 0x7E00} (sign kept, payload dropped),
 * while BF16 keeps the upper payload bits and sets the quiet bit.
 */
public final class HalfFloats {

    private static final int F16_QUIET_NAN = 0x7E00;
    private static final int BF16_QUIET_BIT = 0x0040;
    private static final int F32_QUIET_BIT = 0x0040_0000;

    private HalfFloats() {}

    /**
     * Narrows to IEEE binary16 (returned as its bit pattern).
     *
     * <p>{@link Float#floatToFloat16} rounds exactly like ggml's software conversion for every non-NaN input
     * (checked over all 2^32 inputs on x86-64); only NaN differs, because the JIT uses F16C, which keeps the
     * payload, while ggml's reference always produces {@code 0x7E00}.
     */
    public static short toF16(float value) {
        if (Float.isNaN(value)) {
            return (short) ((Float.floatToRawIntBits(value) >>> 16 & 0x8000) | F16_QUIET_NAN);
        }
        return Float.floatToFloat16(value);
    }

    /** Widens an IEEE binary16 bit pattern exactly; a NaN comes back quiet with its payload, as in ggml. */
    public static float fromF16(short bits) {
        float value = Float.float16ToFloat(bits);
        if (Float.isNaN(value)) {
            // ggml widens by a float multiply, which quiets a signalling NaN; the JDK may not.
            return Float.intBitsToFloat(Float.floatToRawIntBits(value) | F32_QUIET_BIT);
        }
        return value;
    }

    /** Narrows to bfloat16 (returned as its bit pattern): round to nearest even, NaN kept and made quiet. */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) (bits >>> 16 | BF16_QUIET_BIT);
        }
        // Adding 0x7FFF plus the lowest kept bit carries into the kept half exactly when rounding up is due.
        return (short) ((bits + 0x7FFF + (bits >>> 16 & 1)) >>> 16);
    }

    /** Widens a bfloat16 bit pattern exactly. */
    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
