package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q4_0}, {@value #UNIT_BYTES} bytes: the 16
 * rows' F16 scales widened (exactly) to F32, in row order, then 256 bytes of nibbles, byte {@code 16p + i} being
 * byte p of row i's block (low nibble value p, high nibble value p + 16, stored as q + 8, as in Q4_0). The F32
 * scales cost 2 bytes per 32 values more than Q4_0 and spare every product a half-float conversion, which the
 * Vector API does not have.
 */
final class Q4_0Units implements UnitLayout {

    static final Q4_0Units INSTANCE = new Q4_0Units();

    /** Offset of the nibbles in a unit, after the 16 F32 scales. */
    static final int NIBBLES = GROUP * 4;
    private static final int NIBBLE_BYTES = 16;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;

    private Q4_0Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block, units, unit);
        UnitLayout.packElements(rows, rowBytes, block + 2, NIBBLE_BYTES, 1, units, unit + NIBBLES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit, lane, target, block);
        UnitLayout.unpackElements(data, unit + NIBBLES, lane, NIBBLE_BYTES, 1, target, block + 2);
    }
}
