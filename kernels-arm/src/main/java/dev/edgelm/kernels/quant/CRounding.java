package dev.edgelm.kernels.quant;

/**
 * The float-to-integer roundings llama.cpp's reference quantizers use, with their exact C semantics.
 *
 * <p>Where C leaves a conversion undefined (NaN or a value out of the target's range), these follow what
 * x86-64 compilers emit ({@code cvttss2si}: the "integer indefinite" value {@code 0x80000000}) and what glibc's
 * {@code lroundf} returns there, so a C reference built on x86-64 produces the same bytes.
 */
final class CRounding {

    private static final float MAGIC_ROUND = 12582912f; // 1.5 * 2^23: its ulp is 1, so adding it rounds to int

    private CRounding() {}

    /**
     * ggml's {@code nearest_int}: round to nearest, ties to even, via the float addition of 1.5 * 2^23 and the
     * mantissa bits. Exact for |value| &lt; 2^22; beyond that (and for NaN) it returns whatever those bits say,
     * as the C code does with its assert compiled out.
     */
    static int nearestInt(float value) {
        int bits = Float.floatToRawIntBits(value + MAGIC_ROUND);
        return (bits & 0x007F_FFFF) - 0x0040_0000;
    }

    /** A C cast from {@code float} to a 32-bit or narrower integer: truncation toward zero. */
    static int truncate(float value) {
        return value >= -0x1p31f && value < 0x1p31f ? (int) value : Integer.MIN_VALUE;
    }

    /** C's {@code roundf}: nearest integer, halfway cases away from zero, NaN and infinities unchanged. */
    static float roundHalfAway(float value) {
        // In double, |value| + 0.5 is exact for every float that is not already an integer.
        return (float) Math.copySign(Math.floor(Math.abs((double) value) + 0.5), value);
    }

    /** C's {@code lroundf} on x86-64 glibc: {@link #roundHalfAway} to a {@code long}, NaN and overflow to MIN. */
    static long lround(float value) {
        return Math.abs(value) < 0x1p63f ? (long) roundHalfAway(value) : Long.MIN_VALUE;
    }
}
