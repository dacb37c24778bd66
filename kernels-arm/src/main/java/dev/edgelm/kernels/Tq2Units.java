package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#TQ2_0}, {@value #UNIT_BYTES} bytes: the 16
 * rows' F16 scales widened (exactly) to F32, in row order, then the 64 code bytes of each row in 32 chunks of 32
 * bytes, chunk k holding bytes 2k and 2k + 1 of every row side by side: byte {@code 32k + 2i + e} is byte
 * {@code 2k + e} of row i's block (e = 0, 1). The code bytes are TQ2_0's own, unchanged.
 *
 * <p>Why pairs of bytes: loaded and widened, a chunk puts a row's two bytes in adjacent 16-bit lanes, whose 2-bit
 * fields stand for adjacent values (2k and 2k + 1 of a half, plus 32n), so one broadcast 32-bit pair of activation
 * codes serves every row, and the pair of lanes adds up as one 32-bit lane per row. A vector of any width from 128
 * to 512 bits then holds whole rows (4 to 16), with no horizontal sums: unlike a byte per row, the unit needs no
 * more rows to fill a 512-bit vector of shorts.
 */
final class Tq2Units implements UnitLayout {

    static final Tq2Units INSTANCE = new Tq2Units();

    /** Offset of the code chunks in a unit, after the 16 F32 scales. */
    static final int CODES = GROUP * 4;
    /** Code bytes per row and block (TQ2_0's; its F16 scale follows them). */
    static final int CODE_BYTES = 64;
    /** Bytes of one chunk: two code bytes of each of the 16 rows. */
    static final int CHUNK = 2 * GROUP;
    static final int UNIT_BYTES = CODES + GROUP * CODE_BYTES;

    private Tq2Units() {}

    @Override
    public int unitBytes() {
        return UNIT_BYTES;
    }

    /**
     * Whether no code of the matrix is 3 ({@link TernaryCodes}): TQ2_0 defines only 0 to 2, and llama.cpp reads
     * 3 as 2, which {@link InterleavedTq2}'s sums are not bounded for; a matrix holding it keeps the row layout.
     */
    @Override
    public boolean canPack(MemorySegment data, long bytes) {
        return TernaryCodes.noCode3(data, bytes, BlockFormat.TQ2_0.blockBytes(), CODE_BYTES);
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        UnitLayout.packScales(rows, rowBytes, block + CODE_BYTES, units, unit);
        UnitLayout.packElements(rows, rowBytes, block, CODE_BYTES / 2, 2, units, unit + CODES);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        UnitLayout.unpackScale(data, unit, lane, target, block + CODE_BYTES);
        UnitLayout.unpackElements(data, unit + CODES, lane, CODE_BYTES / 2, 2, target, block);
    }
}
