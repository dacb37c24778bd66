package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    /** Offset of the fifth bits in a unit, after the 16 F32 scales. */
    static final int HIGH_BITS = GROUP * 4;
    /** Offset of the nibbles, after two 16-bit lanes of fifth bits per row. */
    static final int NIBBLES = HIGH_BITS + GROUP * 4;
    private static final int NIBBLE_BYTES = 16;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;
    private static final ValueLayout.OfShort F16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q5_0Units() {}

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
            // qh's four bytes, little-endian: bytes 0-1 are values 0-15, bytes 2-3 values 16-31.
            int bits = unit + HIGH_BITS + 2 * i;
            units[bits] = rows[at + 2];
            units[bits + 1] = rows[at + 3];
            units[bits + 2 * GROUP] = rows[at + 4];
            units[bits + 2 * GROUP + 1] = rows[at + 5];
        }
        int at = unit + NIBBLES;
        for (int p = 0; p < NIBBLE_BYTES; p++) {
            for (int i = 0, from = block + 6 + p; i < GROUP; i++, from += rowBytes) {
                units[at++] = rows[from];
            }
        }
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        target.set(F16, block, Float.floatToFloat16(data.get(F32, unit + 4L * lane)));
        for (int k = 0; k < 4; k++) {
            long bits = unit + HIGH_BITS + 2L * lane + (k / 2) * 2L * GROUP + k % 2;
            target.set(ValueLayout.JAVA_BYTE, block + 2 + k, data.get(ValueLayout.JAVA_BYTE, bits));
        }
        for (int p = 0; p < NIBBLE_BYTES; p++) {
            target.set(ValueLayout.JAVA_BYTE, block + 6 + p,
                    data.get(ValueLayout.JAVA_BYTE, unit + NIBBLES + (long) GROUP * p + lane));
        }
    }
}
