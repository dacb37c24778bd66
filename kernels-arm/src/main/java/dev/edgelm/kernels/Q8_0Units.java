package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#Q8_0}, {@value #UNIT_BYTES} bytes (36 per row
 * per 32 values, to the GGUF block's 34): the 16 rows' F16 scales widened (exactly) to F32, in row order, then the
 * 32 int8 codes of each row in 16 chunks of 32 bytes, chunk k holding codes 2k and 2k + 1 of every row side by
 * side: byte {@code 32k + 2i + e} is code {@code 2k + e} of row i (e = 0, 1). The codes are Q8_0's own, unchanged.
 *
 * <p>Why pairs of codes, as in {@link Tq2Units}: loaded and sign-extended, a chunk puts a row's two codes in
 * adjacent 16-bit lanes, so that one broadcast 32-bit pair of activation codes serves every row and the pair of
 * lanes adds up as one 32-bit lane per row. A vector of any width from 128 to 512 bits then holds whole rows (4 to
 * 16), with no horizontal sums; a code per row and byte would fill at most 256 bits of 16-bit lanes with one group.
 */
final class Q8_0Units implements UnitLayout {

    static final Q8_0Units INSTANCE = new Q8_0Units();

    /** Offset of the code chunks in a unit, after the 16 F32 scales. */
    static final int CODES = GROUP * 4;
    /** Codes per row and block. */
    static final int CODE_BYTES = 32;
    /** Bytes of one chunk: two codes of each of the 16 rows. */
    static final int CHUNK = 2 * GROUP;
    static final int UNIT_BYTES = CODES + GROUP * CODE_BYTES;

    private Q8_0Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block, units, unit);
        UnitLayout.packElements(rows, rowBytes, block + 2, CODE_BYTES / 2, 2, units, unit + CODES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit, lane, target, block);
        UnitLayout.unpackElements(data, unit + CODES, lane, CODE_BYTES / 2, 2, target, block + 2);
    }
}
