package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q6_K}, {@value #UNIT_BYTES} bytes (212 per
 * row per 256 values, to the GGUF block's 210):
 *
 * <ul>
 *   <li>bytes 0 to 63: the 16 rows' F16 factors d widened (exactly) to F32, in row order;
 *   <li>bytes {@value #SCALES} to 319: the int8 sub-block scales, byte {@code 64 + 16 s + i} being scale s (values
 *       16s to 16s + 15) of row i;
 *   <li>bytes {@value #CODES} on: the 6-bit codes, 192 bytes per sub-block s: three rows of 32 little-endian 16-bit
 *       words ({@value #WORD_ROW} bytes each), word {@code 2 i + p} of each row belonging to row i and holding the
 *       8 values {@code 16 s + 2 k + p} (k = 0..7) of that row, so that a vector's 16-bit lanes are (row, parity)
 *       pairs and one broadcast pair of activation codes feeds two values of every row.
 * </ul>
 *
 * <p>Each code q is stored as the 6-bit field f = q xor 32, the two's complement of q - 32: an arithmetic shift
 * sign-extends it to q - 32 directly. With f0 to f7 the fields of values k = 0..7, the three words are
 * {@code f0 << 10 | f1 << 4 | f6 >> 2}, {@code f2 << 10 | f3 << 4 | f7 >> 2} and
 * {@code f4 << 10 | f5 << 4 | (f6 & 3) << 2 | (f7 & 3)}: six fields are the top or middle bits of a word (one or two
 * shifts, no mask), and f6 and f7 join their top four bits to two low bits of the third word. Words are loaded
 * as 16-bit lanes as they are, without the widening that byte-wide codes need.
 */
final class Q6KUnits implements UnitLayout {

    static final Q6KUnits INSTANCE = new Q6KUnits();

    private static final int SUBS = 16;
    /** Offset of the scales in a unit, after the 16 F32 factors. */
    static final int SCALES = GROUP * 4;
    /** Offset of the code words in a unit, after the scales. */
    static final int CODES = SCALES + GROUP * SUBS;
    /** Bytes of one row of words: one word per row and parity. */
    static final int WORD_ROW = 2 * 2 * GROUP;
    /** Bytes of the words of one sub-block. */
    static final int SUB_BYTES = 3 * WORD_ROW;
    static final int UNIT_BYTES = CODES + SUBS * SUB_BYTES;

    /** Offsets in a GGUF block (the low nibbles at 0): high bit pairs, scales, d. */
    private static final int QH = 128;
    private static final int SC = 192;
    private static final int D = 208;
    /** A code word. */
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q6KUnits() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block + D, units, unit);
        for (int i = 0; i < GROUP; i++) {
            int at = block + i * rowBytes;
            for (int s = 0; s < SUBS; s++) {
                units[unit + SCALES + GROUP * s + i] = rows[at + SC + s];
                for (int p = 0; p < 2; p++) {
                    int v = 16 * s + p; // value k of this word triple is v + 2k
                    int f6 = field(rows, at, v + 12);
                    int f7 = field(rows, at, v + 14);
                    int word = unit + CODES + SUB_BYTES * s + 2 * (2 * i + p);
                    putShort(units, word, field(rows, at, v) << 10 | field(rows, at, v + 2) << 4 | f6 >> 2);
                    putShort(units, word + WORD_ROW,
                            field(rows, at, v + 4) << 10 | field(rows, at, v + 6) << 4 | f7 >> 2);
                    putShort(units, word + 2 * WORD_ROW,
                            field(rows, at, v + 8) << 10 | field(rows, at, v + 10) << 4 | (f6 & 3) << 2 | f7 & 3);
                }
            }
        }
    }

    /** The stored field of value v: its code xor 32, the 6-bit two's complement of code - 32. */
    private static int field(byte[] rows, int at, int v) {
        return code(rows, at, v) ^ 32;
    }

    /**
     * Code (0..63) of value v of the GGUF block at {@code rows[at ..]}: in half n = v / 128, value l + 32 c takes
     * nibble c / 2 of low byte {@code 64 n + 32 (c % 2) + l} and bits 2c..2c+1 of high byte {@code 32 n + l}.
     */
    private static int code(byte[] rows, int at, int v) {
        int n = v / 128;
        int c = v % 128 / 32;
        int l = v % 32;
        int low = rows[at + 64 * n + 32 * (c % 2) + l] >> 4 * (c / 2) & 0xF;
        int high = rows[at + QH + 32 * n + l] >> 2 * c & 3;
        return low | high << 4;
    }

    private static void putShort(byte[] bytes, int at, int value) {
        bytes[at] = (byte) value;
        bytes[at + 1] = (byte) (value >>> 8);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        byte[] bytes = new byte[D];
        for (int s = 0; s < SUBS; s++) {
            bytes[SC + s] = data.get(ValueLayout.JAVA_BYTE, unit + SCALES + GROUP * s + lane);
            for (int p = 0; p < 2; p++) {
                long word = unit + CODES + SUB_BYTES * s + 2 * (2 * lane + p);
                int w0 = data.get(SHORT, word) & 0xFFFF;
                int w1 = data.get(SHORT, word + WORD_ROW) & 0xFFFF;
                int w2 = data.get(SHORT, word + 2 * WORD_ROW) & 0xFFFF;
                setField(bytes, 16 * s + p, w0 >> 10);
                setField(bytes, 16 * s + p + 2, w0 >> 4 & 63);
                setField(bytes, 16 * s + p + 4, w1 >> 10);
                setField(bytes, 16 * s + p + 6, w1 >> 4 & 63);
                setField(bytes, 16 * s + p + 8, w2 >> 10);
                setField(bytes, 16 * s + p + 10, w2 >> 4 & 63);
                setField(bytes, 16 * s + p + 12, (w0 & 15) << 2 | w2 >> 2 & 3);
                setField(bytes, 16 * s + p + 14, (w1 & 15) << 2 | w2 & 3);
            }
        }
        MemorySegment.copy(bytes, 0, target, ValueLayout.JAVA_BYTE, block, D);
        UnitLayout.unpackScale(data, unit, lane, target, block + D);
    }

    /** Ors the code of value v, stored as {@code field}, into a GGUF block being rebuilt (inverse of {@link #code}). */
    private static void setField(byte[] block, int v, int field) {
        int q = field ^ 32;
        int n = v / 128;
        int c = v % 128 / 32;
        int l = v % 32;
        block[64 * n + 32 * (c % 2) + l] |= (byte) ((q & 0xF) << 4 * (c / 2));
        block[QH + 32 * n + l] |= (byte) (q >> 4 << 2 * c);
    }
}
