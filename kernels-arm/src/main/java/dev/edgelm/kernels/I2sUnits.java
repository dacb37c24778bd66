package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#I2_S}, {@value #UNIT_BYTES} bytes: the 32
 * code bytes of each of the 16 rows' 128-value blocks, unchanged, in 16 chunks of 32 bytes laid out as
 * {@link Tq2Units}' code chunks are (chunk k holds bytes 2k and 2k + 1 of every row side by side), so that
 * {@link InterleavedTq2}'s loop reads them the same way. There is no scale in the unit: I2_S has one per tensor.
 *
 * <p>An I2_S byte i holds values i, 32 + i, 64 + i and 96 + i at shifts 6, 4, 2 and 0: each 2-bit field is
 * exactly one Q8_0 activation block, in the reverse order of TQ2_0's fields, which the kernel follows through its
 * activation offsets. Codes are kept as they are, so unpacking gives back every byte. Code 3, which BitNet's
 * quantizer never writes, means 0 in I2_S where the kernel would read 2, as for TQ2_0: a matrix that holds it is
 * not packed ({@link #canPack}) and keeps the row kernel, which clears it.
 *
 * <p>Units take exactly the bytes of the rows they hold, so an interleaved I2_S matrix is as long as the GGUF one
 * and keeps its tensor scale (the {@link dev.edgelm.kernels.quant.BlockFormat#tensorTrailerBytes trailer}) at the
 * same offset, where {@link WeightMatrix#tensorScale} reads it; {@link RowInterleaving} copies it there.
 */
final class I2sUnits implements UnitLayout {

    static final I2sUnits INSTANCE = new I2sUnits();

    /** Code bytes per row and block. */
    static final int CODE_BYTES = 32;
    static final int UNIT_BYTES = GROUP * CODE_BYTES;
    /** The low bit of every 2-bit field of a long. */
    private static final long LOW_BITS = 0x5555_5555_5555_5555L;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private I2sUnits() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    /** Whether no code in {@code data[0, bytes)} is 3: a scan of the matrix, a long (32 codes) at a time. */
    @Override
    public boolean canPack(MemorySegment data, long bytes) {
        // Through a heap array, as packing does: segment accessors are slow until the JIT has compiled them.
        long[] chunk = new long[4096];
        for (long at = 0; at < bytes; at += 8L * chunk.length) {
            int n = (int) Math.min(chunk.length, (bytes - at) / 8);
            MemorySegment.copy(data, LONG, at, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                // A field is 3 where its high bit and its low bit are set.
                if ((chunk[i] & chunk[i] >>> 1 & LOW_BITS) != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packElements(rows, rowBytes, block, CODE_BYTES / 2, 2, units, unit);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackElements(data, unit, lane, CODE_BYTES / 2, 2, target, block);
    }
}
