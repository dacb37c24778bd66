package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * How one block format is stored in the interleaved layout ({@link WeightLayout#INTERLEAVED_16}).
 *
 * <p>Rows 16g to 16g + 15 (group g) are stored together, block column by block column: block b of group g is a
 * unit of {@link #unitBytes()} bytes at {@code (g * blocksPerRow + b) * unitBytes()}, holding block b of each of the
 * 16 rows. Each implementation documents its unit; all of them put the same element (one byte, or a pair of
 * bytes, or a 16-bit word) of each of the 16 rows side by side, so that one vector load holds the same values of
 * many rows.
 *
 * <p>Packing and unpacking run with plain array code: they run at load time, before the JIT has compiled much.
 */
sealed interface UnitLayout permits Q4_0Units, Q4KUnits, Q5_0Units, Q6KUnits, Q8_0Units, Tq1Units, Tq2Units,
        I2sUnits {

    /** Rows per group. */
    int GROUP = WeightLayout.GROUP_ROWS;
    ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The layout of {@code format}, or null if it has no interleaved layout. */
    static UnitLayout of(BlockFormat format) {
        return switch (format) {
            case Q4_0 -> Q4_0Units.INSTANCE;
            case Q4_K -> Q4KUnits.INSTANCE;
            case Q5_0 -> Q5_0Units.INSTANCE;
            case Q6_K -> Q6KUnits.INSTANCE;
            case Q8_0 -> Q8_0Units.INSTANCE;
            case TQ1_0 -> Tq1Units.INSTANCE;
            case TQ2_0 -> Tq2Units.INSTANCE;
            case I2_S -> I2sUnits.INSTANCE;
            default -> null;
        };
    }

    /**
     * Whether a matrix whose GGUF rows are {@code data[0, bytes)} can be packed: always, but for TQ2_0 and I2_S
     * matrices that hold code 3 ({@link Tq2Units#canPack}, {@link I2sUnits#canPack}).
     */
    default boolean canPack(MemorySegment data, long bytes) {
        return true;
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
     * may come back quiet, and for TQ1_0, whose bytes come back canonical (the same values; see {@link Tq1Units}).
     */
    void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block);

    /**
     * Packs the F16 at byte {@code field} of each of a group's 16 rows (row i at {@code rows[i * rowBytes]}) as 16
     * F32 values, in row order, at {@code units[at ..]}: exactly the same values, which the vector kernels can load
     * without a half-float conversion the Vector API does not have.
     */
    static void packScales(byte[] rows, int rowBytes, int field, byte[] units, int at) {
        for (int i = 0, from = field; i < GROUP; i++, from += rowBytes) {
            short half = (short) (rows[from] & 0xFF | rows[from + 1] << 8);
            int bits = Float.floatToRawIntBits(Float.float16ToFloat(half));
            for (int k = 0; k < 4; k++) {
                units[at + 4 * i + k] = (byte) (bits >>> 8 * k);
            }
        }
    }

    /** Row {@code lane}'s scale, of those {@link #packScales} wrote at {@code at}, as an F16 at {@code field}. */
    static void unpackScale(MemorySegment data, long at, int lane, MemorySegment target, long field) {
        target.set(F16, field, Float.floatToFloat16(data.get(F32, at + 4L * lane)));
    }

    /**
     * Interleaves {@code count} elements of {@code width} bytes from byte {@code field} of each of a group's 16 rows:
     * element p of row i goes to {@code units[at + width * (16 p + i)]}, so that one load holds element p of 16 rows.
     */
    static void packElements(byte[] rows, int rowBytes, int field, int count, int width, byte[] units, int at) {
        // Written in order, read across the rows (which sit in the cache).
        int to = at;
        for (int p = 0; p < count; p++) {
            for (int i = 0, from = field + width * p; i < GROUP; i++, from += rowBytes) {
                System.arraycopy(rows, from, units, to, width);
                to += width;
            }
        }
    }

    /** Writes row {@code lane}'s elements of those {@link #packElements} wrote at {@code at} back to {@code field}. */
    static void unpackElements(MemorySegment data, long at, int lane, int count, int width, MemorySegment target,
            long field) {
        for (int p = 0; p < count; p++) {
            MemorySegment.copy(data, at + (long) width * (GROUP * p + lane), target, field + (long) width * p, width);
        }
    }
}
