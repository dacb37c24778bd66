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
     * {@link BlockFormat#Q4_0} with {@value #GROUP_ROWS} rows interleaved, made from {@link #ROWS} by
     * {@link RowInterleaving} so that one vector holds one value of 16 rows: a matrix-vector product then
     * multiplies each activation code into 16 rows at once and needs no horizontal sums.
     *
     * <p>Rows 16g to 16g + 15 (group g) are stored together, block column by block column: block b of group g is
     * a unit of {@value #Q4_0_UNIT_BYTES} bytes at {@code (g * blocksPerRow + b) * 320} holding the 16 rows' F16
     * scales widened (exactly) to F32, in row order, then 256 bytes of nibbles, byte {@code 16p + i} being byte p
     * of row {@code 16g + i}'s block (low nibble value p, high nibble value p + 16, stored as q + 8, as in Q4_0).
     * The F32 scales cost 2 bytes per 32 values more than Q4_0 and spare every product a half-float conversion,
     * which the Vector API does not have.
     */
    INTERLEAVED_16;

    /** Rows per interleaved group. */
    public static final int GROUP_ROWS = 16;

    /** Bytes of one interleaved Q4_0 unit: one block column of a 16-row group. */
    static final int Q4_0_UNIT_BYTES = GROUP_ROWS * 4 + GROUP_ROWS * 16;

    /** Whether this layout can hold a matrix of {@code rows} rows of {@code format}. */
    public boolean holds(BlockFormat format, int rows) {
        return this == ROWS || format == BlockFormat.Q4_0 && rows % GROUP_ROWS == 0;
    }

    /** Rows that are stored together: product row ranges best start and end on multiples of this. */
    public int rowGroup() {
        return this == ROWS ? 1 : GROUP_ROWS;
    }

    /**
     * Bytes of {@code rows} rows of {@code cols} values of {@code format} in this layout (for {@link #ROWS}, a
     * trailer such as I2_S's tensor scale not included).
     */
    long weightBytes(BlockFormat format, int rows, int cols) {
        return switch (this) {
            case ROWS -> format.rowBytes(cols) * rows;
            case INTERLEAVED_16 -> (long) rows / GROUP_ROWS * (cols / format.blockSize()) * Q4_0_UNIT_BYTES;
        };
    }
}
