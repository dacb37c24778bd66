package dev.edgelm.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.Optional;

/**
 * Converts weight matrices between the GGUF layout ({@link WeightLayout#ROWS}) and the interleaved one
 * ({@link WeightLayout#INTERLEAVED_16}), whose units each format's {@link UnitLayout} describes.
 *
 * <p>Interleaving copies the weights out of the memory-mapped file into memory of its own: the price of the faster
 * product is that copy, once per matrix at load time.
 */
public final class RowInterleaving {

    private static final int GROUP = WeightLayout.GROUP_ROWS;

    private RowInterleaving() {}

    /**
     * Whether {@code w} can be interleaved: a matrix in the GGUF layout, of a format that has an interleaved layout,
     * whose rows are whole groups, and whose bytes its units can hold ({@link UnitLayout#canPack}: for TQ2_0 and
     * I2_S, this reads the matrix).
     */
    public static boolean canInterleave(WeightMatrix w) {
        return whyNot(w).isEmpty();
    }

    /** Why {@code w} cannot be interleaved ({@link #canInterleave}), or empty if it can. */
    private static Optional<String> whyNot(WeightMatrix w) {
        if (w.layout() != WeightLayout.ROWS || !WeightLayout.INTERLEAVED_16.holds(w.format(), w.rows())) {
            return Optional.of("a " + w.layout() + " " + w.format() + " matrix of " + w.rows() + " rows");
        }
        // The one thing a unit layout refuses (UnitLayout.canPack): a ternary code 3.
        if (!UnitLayout.of(w.format()).canPack(w.data(), w.weightBytes())) {
            return Optional.of("a " + w.format() + " matrix holding code 3");
        }
        return Optional.empty();
    }

    /**
     * {@code w} in the interleaved layout, in new memory from {@code arena}.
     *
     * @throws IllegalArgumentException if {@code w} cannot be interleaved ({@link #canInterleave})
     */
    public static WeightMatrix interleave(WeightMatrix w, Arena arena) {
        check(w);
        return pack(w, arena.allocate(interleavedBytes(w), 64));
    }

    /**
     * {@code w} interleaved in new memory from {@code arena} if it can be ({@link #canInterleave}), else {@code w}:
     * one check, since for TQ2_0 and I2_S the check reads the whole matrix.
     */
    static WeightMatrix interleaveIfPossible(WeightMatrix w, Arena arena) {
        return canInterleave(w) ? pack(w, arena.allocate(interleavedBytes(w), 64)) : w;
    }

    /** Bytes {@code w} takes interleaved, its trailer (I2_S's tensor scale) included. */
    public static long interleavedBytes(WeightMatrix w) {
        return WeightLayout.INTERLEAVED_16.weightBytes(w.format(), w.rows(), w.cols())
                + w.format().tensorTrailerBytes();
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
        return pack(w, target);
    }

    /** {@code w}, which can be interleaved, written interleaved to {@code target}, which is large enough. */
    private static WeightMatrix pack(WeightMatrix w, MemorySegment target) {
        UnitLayout layout = UnitLayout.of(w.format());
        int unitBytes = layout.unitBytes();
        int blocks = w.cols() / w.format().blockSize();
        int blockBytes = w.format().blockBytes();
        int rowBytes = (int) w.rowBytes();
        // A group at a time through heap arrays: memory-segment accessors are slow until the JIT has compiled them.
        byte[] rows = new byte[GROUP * rowBytes];
        byte[] units = new byte[blocks * unitBytes];
        for (int g = 0; g < w.rows() / GROUP; g++) {
            MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, (long) g * GROUP * rowBytes, rows, 0, rows.length);
            for (int b = 0; b < blocks; b++) {
                layout.pack(rows, rowBytes, b * blockBytes, units, b * unitBytes);
            }
            MemorySegment.copy(units, 0, target, ValueLayout.JAVA_BYTE, unitOffset(w, g, 0), units.length);
        }
        // The trailer follows the units as it follows the rows.
        MemorySegment.copy(w.data(), w.weightBytes(), target, WeightLayout.INTERLEAVED_16.weightBytes(w.format(),
                w.rows(), w.cols()), w.format().tensorTrailerBytes());
        return new WeightMatrix(w.format(), target, w.rows(), w.cols(), WeightLayout.INTERLEAVED_16);
    }

    private static void check(WeightMatrix w) {
        whyNot(w).ifPresent(why -> {
            throw new IllegalArgumentException("cannot interleave " + why);
        });
    }

    /**
     * Writes row {@code row} of {@code w}, in any layout, to {@code target} as one row in the GGUF layout
     * ({@link WeightMatrix#rowBytes} bytes; F16 scales widened by the interleaved layout come back as the same
     * values, a signalling NaN as a quiet one).
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
        UnitLayout layout = UnitLayout.of(w.format());
        int blockBytes = w.format().blockBytes();
        for (int b = 0; b < w.cols() / w.format().blockSize(); b++) {
            layout.unpack(w.data(), unitOffset(w, row / GROUP, b), row % GROUP, target, (long) b * blockBytes);
        }
    }

    /** Byte offset of block column {@code block} of group {@code group} in an interleaved matrix. */
    static long unitOffset(WeightMatrix w, int group, int block) {
        long blocks = w.cols() / w.format().blockSize();
        return (group * blocks + block) * UnitLayout.of(w.format()).unitBytes();
    }
}
