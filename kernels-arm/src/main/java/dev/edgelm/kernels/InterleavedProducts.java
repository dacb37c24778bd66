package dev.edgelm.kernels;

/**
 * The vector products of interleaved matrices ({@link WeightLayout#INTERLEAVED_16}), handed to each format's
 * kernels: the choice is made once per call, never per block.
 */
final class InterleavedProducts {

    private InterleavedProducts() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd).
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        switch (w.format()) {
            case Q4_0 -> InterleavedQ4_0.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            case Q5_0 -> InterleavedQ5_0.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            default -> throw new AssertionError(w.format());
        }
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        switch (w.format()) {
            case Q4_0 -> InterleavedQ4_0.decodeGroup(w, group, out);
            case Q5_0 -> InterleavedQ5_0.decodeGroup(w, group, out);
            default -> throw new AssertionError(w.format());
        }
    }
}
