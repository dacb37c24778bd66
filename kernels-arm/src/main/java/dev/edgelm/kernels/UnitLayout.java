package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;

/**
 * How one block format is stored in the interleaved layout ({@link WeightLayout#INTERLEAVED_16}).
 *
 * <p>Rows 16g to 16g + 15 (group g) are stored together, block column by block column: block b of group g is a
 * unit of {@link #unitBytes()} bytes at {@code (g * blocksPerRow + b) * unitBytes()}, holding block b of each of the
 * 16 rows. Each implementation documents its unit; all of them put one byte of each of the 16 rows side by side,
 * so that one vector load holds the same value of 16 rows.
 *
 * <p>Packing and unpacking run with plain array code: they run at load time, before the JIT has compiled much.
 */
sealed interface UnitLayout permits Q4_0Units, Q5_0Units {

    /** The layout of {@code format}, or null if it has no interleaved layout. */
    static UnitLayout of(BlockFormat format) {
        return switch (format) {
            case Q4_0 -> Q4_0Units.INSTANCE;
            case Q5_0 -> Q5_0Units.INSTANCE;
            default -> null;
        };
    }

    /** Bytes of one unit: one block column of a 16-row group. */
    int unitBytes();

    /**
     * Writes one unit to {@code units[unit ..]} from the GGUF bytes of a group's 16 rows, row i at
     * {@code rows[i * rowBytes]}, whose block column starts at byte {@code block} of each row.
     */
    void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit);

    /**
     * Writes row {@code lane}'s block of the unit at {@code unit} in {@code data} to {@code target} at
     * {@code block}, in the GGUF layout: the exact bytes {@link #pack} read, but for a signalling NaN scale, which
     * may come back quiet.
     */
    void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block);

    /** Stores {@code value} little-endian at {@code bytes[at ..]}. */
    static void putInt(byte[] bytes, int at, int value) {
        for (int k = 0; k < 4; k++) {
            bytes[at + k] = (byte) (value >>> 8 * k);
        }
    }
}
