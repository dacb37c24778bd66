package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q4_0}, {@value #UNIT_BYTES} bytes: the 16
 * rows' F16 scales widened (exactly) to F32, in row order, then each row's 16 nibble bytes in 8 chunks of 32 bytes,
 * chunk k holding bytes 2k and 2k + 1 of every row side by side: byte {@code 32k + 2i + e} is byte {@code 2k + e} of
 * row i (e = 0, 1), whose low nibble is value 2k + e and high nibble value 2k + e + 16, stored as q + 8, as in Q4_0.
 * The F32 scales cost 2 bytes per 32 values more than Q4_0 and spare every product a half-float conversion, which
 * the Vector API does not have.
 *
 * <p>Why pairs of bytes, as in {@link Q8_0Units}: loaded and zero-extended, a chunk puts a row's two bytes in
 * adjacent 16-bit lanes, so one broadcast 32-bit pair of activation codes serves every row, and a vector of any
 * width from 128 to 512 bits holds whole rows (4 to 16). A byte per row and position would fill at most 256 bits
 * of 16-bit lanes with one group.
 */
final class Q4_0Units implements UnitLayout {

    static final Q4_0Units INSTANCE = new Q4_0Units();

    /** Offset of the nibble chunks in a unit, after the 16 F32 scales. */
    static final int NIBBLES = GROUP * 4;
    /** Nibble bytes per row and block. */
    private static final int NIBBLE_BYTES = 16;
    /** Bytes of one chunk: two nibble bytes of each of the 16 rows. */
    static final int CHUNK = 2 * GROUP;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;

    private Q4_0Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block, units, unit);
        UnitLayout.packElements(rows, rowBytes, block + 2, NIBBLE_BYTES / 2, 2, units, unit + NIBBLES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit, lane, target, block);
        UnitLayout.unpackElements(data, unit + NIBBLES, lane, NIBBLE_BYTES / 2, 2, target, block + 2);
    }
}
