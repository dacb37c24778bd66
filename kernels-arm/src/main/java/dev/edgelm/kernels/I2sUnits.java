package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#I2_S}, {@value #UNIT_BYTES} bytes: the 32
 * code bytes of each of the 16 rows' 128-value blocks, unchanged, in 16 chunks of 32 bytes laid out as
 * {@link Tq2Units}' code chunks are (chunk k holds bytes 2k and 2k + 1 of every row side by side), so that
 * {@link InterleavedTq2}'s loop reads them the same way. There is no scale in the unit: I2_S has one per tensor.
 *
 * <p>An I2_S byte i holds values i, 32 + i, 64 + i and 96 + i at shifts 6, 4, 2 and 0: each 2-bit field is
 * exactly one Q8_0 activation block, in the reverse order of TQ2_0's fields, which the kernel follows through its
 * activation offsets. Codes are kept as they are, so unpacking gives back every byte. Code 3, which BitNet's
 * quantizer never writes, means 0 in I2_S, and the kernel's sums are bounded for codes up to 2 only: a matrix that
 * holds it is not packed ({@link #canPack}) and keeps the row kernel, which clears it.
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

    private I2sUnits() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    /** Whether no code of the matrix is 3 ({@link TernaryCodes}). */
    @Override
    public boolean canPack(MemorySegment data, long bytes) {
        return TernaryCodes.noCode3(data, bytes, CODE_BYTES, CODE_BYTES);
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
