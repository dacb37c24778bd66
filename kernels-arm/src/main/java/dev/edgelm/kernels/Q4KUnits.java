package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.KQuantScales;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q4_K}, {@value #UNIT_BYTES} bytes (152 per row
 * and 256 values, against Q4_K's 144):
 * <ul>
 *   <li>at {@value #D}: the 16 rows' F16 {@code d} widened (exactly) to F32, in row order;
 *   <li>at {@value #DMIN}: their F16 {@code dmin}, likewise;
 *   <li>at {@value #SCALES}: the 6-bit sub-block scales unpacked to a byte each, byte {@code 16s + i} being
 *       sub-block s's scale in row i;
 *   <li>at {@value #MINS}: the sub-block minimums, likewise;
 *   <li>at {@value #NIBBLES}: the 128 nibble bytes in pairs, byte {@code 32k + 2i + e} being nibble byte
 *       {@code 2k + e} of row i's block (as in Q4_K, nibble byte {@code 32c + l} holds value {@code 64c + l} of the
 *       block in its low nibble and {@code 64c + 32 + l} in its high one).
 * </ul>
 * Pairs rather than single bytes: widened to 16-bit lanes, a load holds two consecutive values of each of its rows,
 * whose two activation codes one 32-bit broadcast supplies (a 16-bit broadcast is a shuffle on x86, a 32-bit one
 * from memory only a load), and the pair's lanes become one 32-bit lane per row when summed. The F32 factors spare
 * the kernels a half-float conversion, which the Vector API does not have, and the unpacked scales its 6-bit
 * arithmetic; the 16 six-bit values of a row fill its 12 packed bytes exactly, so unpacking gives back every bit.
 */
final class Q4KUnits implements UnitLayout {

    static final Q4KUnits INSTANCE = new Q4KUnits();

    /** Sub-blocks per block. */
    static final int SUBS = 8;
    static final int D = 0;
    static final int DMIN = D + GROUP * 4;
    static final int SCALES = DMIN + GROUP * 4;
    static final int MINS = SCALES + GROUP * SUBS;
    static final int NIBBLES = MINS + GROUP * SUBS;
    /** Nibble bytes per row and block. */
    static final int NIBBLE_BYTES = 128;
    static final int UNIT_BYTES = NIBBLES + GROUP * NIBBLE_BYTES;

    /** Byte offsets of {@code dmin} and of the nibbles in a Q4_K block ({@code d} at 0, the 12 scale bytes at 4). */
    private static final int BLOCK_DMIN = 2;
    private static final int BLOCK_NIBBLES = KQuantScales.OFFSET + 12;

    private Q4KUnits() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block, units, unit + D);
        UnitLayout.packScales(rows, rowBytes, block + BLOCK_DMIN, units, unit + DMIN);
        for (int i = 0; i < GROUP; i++) {
            int at = block + i * rowBytes;
            int word0 = getInt(rows, at + KQuantScales.OFFSET);
            int word1 = getInt(rows, at + KQuantScales.OFFSET + 4);
            int word2 = getInt(rows, at + KQuantScales.OFFSET + 8);
            long scales = KQuantScales.scales(word0, word2);
            long mins = KQuantScales.mins(word1, word2);
            for (int s = 0; s < SUBS; s++) {
                units[unit + SCALES + GROUP * s + i] = (byte) (scales >>> 8 * s);
                units[unit + MINS + GROUP * s + i] = (byte) (mins >>> 8 * s);
            }
        }
        UnitLayout.packElements(rows, rowBytes, block + BLOCK_NIBBLES, NIBBLE_BYTES / 2, 2, units, unit + NIBBLES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit + D, lane, target, block);
        UnitLayout.unpackScale(data, unit + DMIN, lane, target, block + BLOCK_DMIN);
        long scales = 0;
        long mins = 0;
        for (int s = 0; s < SUBS; s++) {
            scales |= (data.get(ValueLayout.JAVA_BYTE, unit + SCALES + GROUP * s + lane) & 0xFFL) << 8 * s;
            mins |= (data.get(ValueLayout.JAVA_BYTE, unit + MINS + GROUP * s + lane) & 0xFFL) << 8 * s;
        }
        for (int word = 0; word < 3; word++) {
            target.set(INT, block + KQuantScales.OFFSET + 4 * word, KQuantScales.packed(scales, mins, word));
        }
        UnitLayout.unpackElements(data, unit + NIBBLES, lane, NIBBLE_BYTES / 2, 2, target, block + BLOCK_NIBBLES);
    }

    /** The little-endian 32-bit value at {@code bytes[at ..]}. */
    private static int getInt(byte[] bytes, int at) {
        return bytes[at] & 0xFF | (bytes[at + 1] & 0xFF) << 8 | (bytes[at + 2] & 0xFF) << 16 | bytes[at + 3] << 24;
    }
}
