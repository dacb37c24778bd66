package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Converts weight matrices between the GGUF layout ({@link WeightLayout#ROWS}) and the interleaved one
 * ({@link WeightLayout#INTERLEAVED_16}), whose byte layout that constant describes.
 *
 * <p>Interleaving copies the weights out of the memory-mapped file into memory of its own: the price of the faster
 * product is that copy, once per matrix at load time.
 */
public final class RowInterleaving {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int NIBBLE_BYTES = 16;
    private static final int SCALES_BYTES = GROUP * 4;
    private static final ValueLayout.OfShort F16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RowInterleaving() {}

    /** Whether {@code w} can be interleaved: a Q4_0 matrix in the GGUF layout whose rows are whole groups. */
    public static boolean canInterleave(WeightMatrix w) {
        return w.layout() == WeightLayout.ROWS && WeightLayout.INTERLEAVED_16.holds(w.format(), w.rows());
    }

    /**
     * {@code w} in the interleaved layout, in new memory from {@code arena}.
     *
     * @throws IllegalArgumentException if {@code w} cannot be interleaved ({@link #canInterleave})
     */
    public static WeightMatrix interleave(WeightMatrix w, Arena arena) {
        check(w);
        return interleave(w, arena.allocate(interleavedBytes(w), 64));
    }

    /** Bytes {@code w} takes interleaved. */
    public static long interleavedBytes(WeightMatrix w) {
        return WeightLayout.INTERLEAVED_16.weightBytes(w.format(), w.rows(), w.cols());
    }

    /**
     * {@code w} in the interleaved layout, written to {@code target} (e.g. a tensor of a GGUF file being written).
     *
     * @throws IllegalArgumentException if {@code w} cannot be interleaved ({@link #canInterleave}) or
     *     {@code target} is smaller than {@link #interleavedBytes}
     */
    public static WeightMatrix interleave(WeightMatrix w, MemorySegment target) {
        check(w);
        if (target.byteSize() < interleavedBytes(w)) {
            throw new IllegalArgumentException("interleaving needs " + interleavedBytes(w) + " bytes, the target has "
                    + target.byteSize());
        }
        int blocks = w.cols() / BlockFormat.Q4_0.blockSize();
        int blockBytes = BlockFormat.Q4_0.blockBytes();
        int rowBytes = (int) w.rowBytes();
        MemorySegment source = w.data();
        // A group at a time through heap arrays, with plain array code: this runs at load, before the JIT has
        // compiled much, and memory-segment accessors are slow until it has.
        byte[] rows = new byte[GROUP * rowBytes];
        byte[] units = new byte[blocks * WeightLayout.Q4_0_UNIT_BYTES];
        for (int g = 0; g < w.rows() / GROUP; g++) {
            MemorySegment.copy(source, ValueLayout.JAVA_BYTE, (long) g * GROUP * rowBytes, rows, 0, rows.length);
            for (int b = 0; b < blocks; b++) {
                int unit = b * WeightLayout.Q4_0_UNIT_BYTES;
                int first = b * blockBytes;
                for (int i = 0; i < GROUP; i++) {
                    int block = first + i * rowBytes;
                    short half = (short) (rows[block] & 0xFF | rows[block + 1] << 8);
                    int bits = Float.floatToRawIntBits(Float.float16ToFloat(half));
                    for (int k = 0; k < 4; k++) {
                        units[unit + 4 * i + k] = (byte) (bits >>> 8 * k);
                    }
                }
                // Written in order, read across the rows (which sit in the cache).
                int at = unit + SCALES_BYTES;
                for (int p = 0; p < NIBBLE_BYTES; p++) {
                    for (int i = 0, from = first + 2 + p; i < GROUP; i++, from += rowBytes) {
                        units[at++] = rows[from];
                    }
                }
            }
            MemorySegment.copy(units, 0, target, ValueLayout.JAVA_BYTE, unitOffset(w, g, 0), units.length);
        }
        return new WeightMatrix(w.format(), target, w.rows(), w.cols(), WeightLayout.INTERLEAVED_16);
    }

    private static void check(WeightMatrix w) {
        if (!canInterleave(w)) {
            throw new IllegalArgumentException("cannot interleave a " + w.layout() + " " + w.format() + " matrix of "
                    + w.rows() + " rows");
        }
    }

    /**
     * Writes row {@code row} of {@code w}, in any layout, to {@code target} as one row in the GGUF layout
     * ({@link WeightMatrix#rowBytes} bytes; scales narrowed back to F16, which gives every value back, a signalling
     * NaN as a quiet one).
     *
     * @throws IndexOutOfBoundsException if the row is out of range or {@code target} too small
     */
    public static void copyRow(WeightMatrix w, int row, MemorySegment target) {
        Objects.checkIndex(row, w.rows());
        long rowBytes = w.rowBytes();
        Objects.checkFromIndexSize(0, rowBytes, target.byteSize());
        if (w.layout() == WeightLayout.ROWS) {
            MemorySegment.copy(w.data(), row * rowBytes, target, 0, rowBytes);
            return;
        }
        int blockBytes = BlockFormat.Q4_0.blockBytes();
        int i = row % GROUP;
        MemorySegment data = w.data();
        for (int b = 0; b < w.cols() / BlockFormat.Q4_0.blockSize(); b++) {
            long unit = unitOffset(w, row / GROUP, b);
            long block = (long) b * blockBytes;
            target.set(F16, block, Float.floatToFloat16(data.get(F32, unit + 4L * i)));
            for (int p = 0; p < NIBBLE_BYTES; p++) {
                target.set(ValueLayout.JAVA_BYTE, block + 2 + p,
                        data.get(ValueLayout.JAVA_BYTE, unit + SCALES_BYTES + NIBBLE_BYTES * p + i));
            }
        }
    }

    /** Byte offset of block column {@code block} of group {@code group} in an interleaved matrix. */
    static long unitOffset(WeightMatrix w, int group, int block) {
        long blocks = w.cols() / BlockFormat.Q4_0.blockSize();
        return (group * blocks + block) * WeightLayout.Q4_0_UNIT_BYTES;
    }
}
