package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;

/** How the blocks of a {@link WeightMatrix} are ordered in memory. */
public enum WeightLayout {

    /**
     * Row after row, each row's blocks in order, exactly as in a GGUF file: the layout of a memory-mapped tensor,
     * and the only one every format has.
     */
    ROWS,

    /**
     * {@value #GROUP_ROWS} rows interleaved, made from {@link #ROWS} by {@link RowInterleaving} so that one vector
     * holds one value of 16 rows: a matrix-vector product then multiplies each activation code into 16 rows at once
     * and needs no horizontal sums. Rows 16g to 16g + 15 are stored block column by block column, in units that
     * each format's {@link UnitLayout} describes. Formats with such a layout: Q4_0, Q4_K, Q5_0, Q6_K, Q8_0, TQ1_0
     * (in TQ2_0's units), TQ2_0 and I2_S (but for matrices holding code 3, see {@link TernaryCodes}).
     */
    INTERLEAVED_16;

    /** Rows per interleaved group. */
    public static final int GROUP_ROWS = 16;

    /** Whether this layout can hold a matrix of {@code rows} rows of {@code format}. */
    public boolean holds(BlockFormat format, int rows) {
        return this == ROWS || UnitLayout.of(format) != null && rows % GROUP_ROWS == 0;
    }

    /** Rows that are stored together: product row ranges best start and end on multiples of this. */
    public int rowGroup() {
        return this == ROWS ? 1 : GROUP_ROWS;
    }

    /**
     * Bytes of {@code rows} rows of {@code cols} values of {@code format} in this layout, a trailer such as I2_S's
     * tensor scale not included (it follows them in either layout).
     */
    long weightBytes(BlockFormat format, int rows, int cols) {
        return switch (this) {
            case ROWS -> format.rowBytes(cols) * rows;
            case INTERLEAVED_16 ->
                    (long) rows / GROUP_ROWS * (cols / format.blockSize()) * UnitLayout.of(format).unitBytes();
        };
    }
}
