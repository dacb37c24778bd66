package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.SL;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;

/**
 * The vector products of interleaved matrices ({@link WeightLayout#INTERLEAVED_16}), handed to each format's
 * kernels: the choice is made once per call, never per block.
 */
final class InterleavedProducts {

    private static final int GROUP = WeightLayout.GROUP_ROWS;

    private InterleavedProducts() {}

    /** One format's dot products of {@link VectorKernels#SL} rows of a group, lanes being rows. */
    @FunctionalInterface
    interface GroupRows {

        /**
         * The dot products of the rows from row {@code lane} of the group whose units start at {@code units}, over
         * {@code blocks} blocks, with the activation column starting at value {@code base}, written to
         * {@code out[at + i]} for lanes i in [from, to). (Each kernel stores its own results: handing its vectors
         * to a shared method measured a fifth slower, as if they were boxed.)
         */
        void rows(MemorySegment m, long units, int lane, int blocks, QuantizedActivations x, int base, float[] out,
                int at, int from, int to);
    }

    /**
     * Rows {@link #matvec} computes together for {@code format}, a power of two: a row range of whole steps drops no
     * computed lanes.
     */
    static int rowStep(BlockFormat format) {
        return switch (format) {
            case Q4_0, Q4_K, Q8_0, TQ1_0, TQ2_0, I2_S -> FullWidth.ROW_STEP;
            case Q5_0 -> SL;
            case Q6_K -> InterleavedQ6K.ROW_STEP;
            default -> throw new AssertionError(format);
        };
    }

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd). Whole vectors of rows are computed; lanes outside the range are dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        switch (w.format()) {
            case Q4_0 -> InterleavedQ4_0.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            case Q4_K -> InterleavedQ4K.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            case Q5_0 -> matvec(w, x, column, out, outOffset, rowStart, rowEnd, InterleavedQ5_0::rows);
            case Q6_K -> InterleavedQ6K.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            case Q8_0 -> InterleavedQ8_0.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            case TQ1_0, TQ2_0, I2_S -> InterleavedTq2.matvec(w, x, column, out, outOffset, rowStart, rowEnd);
            default -> throw new AssertionError(w.format());
        }
    }

    /** {@link #matvec} through {@code kernel}, a vector of {@link VectorKernels#SL} rows at a time. */
    private static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd, GroupRows kernel) {
        MemorySegment m = w.data();
        int blocks = w.cols() / w.format().blockSize();
        int base = column * w.cols();
        for (int first = rowStart - rowStart % SL; first < rowEnd; first += SL) {
            kernel.rows(m, RowInterleaving.unitOffset(w, first / GROUP, 0), first % GROUP, blocks, x, base, out,
                    outOffset + first, Math.max(rowStart - first, 0), Math.min(rowEnd - first, SL));
        }
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        switch (w.format()) {
            case Q4_0 -> InterleavedQ4_0.decodeGroup(w, group, out);
            case Q4_K -> InterleavedQ4K.decodeGroup(w, group, out);
            case Q5_0 -> InterleavedQ5_0.decodeGroup(w, group, out);
            case Q6_K -> InterleavedQ6K.decodeGroup(w, group, out);
            case Q8_0 -> InterleavedQ8_0.decodeGroup(w, group, out);
            case TQ1_0, TQ2_0, I2_S -> InterleavedTq2.decodeGroup(w, group, out);
            default -> throw new AssertionError(w.format());
        }
    }
}
