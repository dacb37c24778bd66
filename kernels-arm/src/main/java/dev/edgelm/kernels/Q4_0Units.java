package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q4_0}, {@value #UNIT_BYTES} bytes: the 16
 * rows' F16 scales widened (exactly) to F32, in row order, then 256 bytes of nibbles, byte {@code 16p + i} being
 * byte p of row i's block (low nibble value p, high nibble value p + 16, stored as q + 8, as in Q4_0). The F32
 * scales cost 2 bytes per 32 values more than Q4_0 and spare every product a half-float conversion, which the
 * Vector API does not have.
 */
final class Q4_0Units implements UnitLayout {

    static final Q4_0Units INSTANCE = new Q4_0Units();

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    /** Offset of the nibbles in a unit, after the 16 F32 scales. */
    static final int NIBBLES = GROUP * 4;
    private static final int NIBBLE_BYTES = 16;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;
    private static final ValueLayout.OfShort F16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q4_0Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        for (int i = 0; i < GROUP; i++) {
            int at = block + i * rowBytes;
            short half = (short) (rows[at] & 0xFF | rows[at + 1] << 8);
            UnitLayout.putInt(units, unit + 4 * i, Float.floatToRawIntBits(Float.float16ToFloat(half)));
        }
        // Written in order, read across the rows (which sit in the cache).
        int at = unit + NIBBLES;
        for (int p = 0; p < NIBBLE_BYTES; p++) {
            for (int i = 0, from = block + 2 + p; i < GROUP; i++, from += rowBytes) {
                units[at++] = rows[from];
            }
        }
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        target.set(F16, block, Float.floatToFloat16(data.get(F32, unit + 4L * lane)));
        for (int p = 0; p < NIBBLE_BYTES; p++) {
            target.set(ValueLayout.JAVA_BYTE, block + 2 + p,
                    data.get(ValueLayout.JAVA_BYTE, unit + NIBBLES + (long) GROUP * p + lane));
        }
    }
}
