package dev.edgelm.kernels;

/**
 * Cosine and sine tables for {@link Kernels#rope}: for position p and pair i, the angle
 * {@code p * base^(-2i / rotaryDims)}, computed in double and rounded once.
 *
 * @param cos cosines, {@code rotaryDims / 2} per position, positions one after another
 * @param sin sines, same layout
 * @param pairs angles per position ({@code rotaryDims / 2})
 */
public record RopeTables(float[] cos, float[] sin, int pairs) {

    /**
     * Tables for positions [0, positions).
     *
     * @throws IllegalArgumentException if {@code rotaryDims} is not positive and even, or positions not positive
     */
    public static RopeTables compute(int positions, int rotaryDims, double base) {
        return compute(positions, rotaryDims, base, 1.0, null);
    }

    /**
     * Tables for positions [0, positions) with the scalings models store: the angle of pair i at position p is
     * {@code p * positionScale * base^(-2i / rotaryDims) / divisors[i]} (linear RoPE scaling multiplies positions
     * by 1 / factor; Llama 3 stores per-pair divisors as {@code rope_freqs}).
     *
     * @param divisors {@code rotaryDims / 2} per-pair divisors, or null for none
     * @throws IllegalArgumentException if {@code rotaryDims} is not positive and even, positions not positive, or
     *     the divisors have the wrong length
     */
    public static RopeTables compute(int positions, int rotaryDims, double base, double positionScale,
            float[] divisors) {
        if (rotaryDims <= 0 || rotaryDims % 2 != 0 || positions <= 0) {
            throw new IllegalArgumentException("need positive positions and an even rotaryDims, got " + positions
                    + ", " + rotaryDims);
        }
        int pairs = rotaryDims / 2;
        if (divisors != null && divisors.length != pairs) {
            throw new IllegalArgumentException("need " + pairs + " frequency divisors, got " + divisors.length);
        }
        float[] cos = new float[Math.multiplyExact(positions, pairs)];
        float[] sin = new float[cos.length];
        for (int i = 0; i < pairs; i++) {
            double frequency = positionScale * Math.pow(base, -2.0 * i / rotaryDims)
                    / (divisors == null ? 1.0 : divisors[i]);
            for (int p = 0; p < positions; p++) {
                double angle = p * frequency;
                cos[p * pairs + i] = (float) Math.cos(angle);
                sin[p * pairs + i] = (float) Math.sin(angle);
            }
        }
        return new RopeTables(cos, sin, pairs);
    }

    /** Where position {@code p}'s angles start, for {@link Kernels#rope}'s {@code tableOffset}. */
    public int offset(int position) {
        return position * pairs;
    }
}
