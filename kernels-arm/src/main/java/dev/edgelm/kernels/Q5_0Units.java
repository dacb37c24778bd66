package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q5_0}, {@value #UNIT_BYTES} bytes: the 16
 * rows' F16 scales widened (exactly) to F32, in row order; then the rows' fifth bits as 16-bit lanes, the bits of
 * values 0 to 15 of row i at {@code 64 + 2i} and those of values 16 to 31 at {@code 96 + 2i} (bit j for value j,
 * as in Q5_0's {@code qh}); then 256 bytes of nibbles, byte {@code 16p + i} being byte p of row i's {@code qs} (low
 * nibble value p, high nibble value p + 16). So one 16-lane load gives the fifth bits of 16 rows for half a block,
 * and 24 bytes per row and block stand for Q5_0's 22.
 */
final class Q5_0Units implements UnitLayout {

    static final Q5_0Units INSTANCE = new Q5_0Units();

    /** Offset of the fifth bits in a unit, after the 16 F32 scales. */
    static final int HIGH_BITS = GROUP * 4;
    /** Offset of the nibbles, after two 16-bit lanes of fifth bits per row. */
    static final int NIBBLES = HIGH_BITS + GROUP * 4;
    private static final int NIBBLE_BYTES = 16;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;

    private Q5_0Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block, units, unit);
        // qh is little-endian: its bytes 0-1 are values 0-15, bytes 2-3 values 16-31.
        UnitLayout.packElements(rows, rowBytes, block + 2, 2, 2, units, unit + HIGH_BITS);
        UnitLayout.packElements(rows, rowBytes, block + 6, NIBBLE_BYTES, 1, units, unit + NIBBLES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit, lane, target, block);
        UnitLayout.unpackElements(data, unit + HIGH_BITS, lane, 2, 2, target, block + 2);
        UnitLayout.unpackElements(data, unit + NIBBLES, lane, NIBBLE_BYTES, 1, target, block + 6);
    }
}
