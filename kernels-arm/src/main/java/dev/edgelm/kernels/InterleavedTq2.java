package dev.edgelm.kernels;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector products of TQ2_0 matrices in the interleaved layout ({@link Tq2Units}).
 *
 * <p>A chunk of the unit, loaded and widened, holds two code bytes of {@link #ROWS} rows, a row's two bytes in
 * adjacent 16-bit lanes; each of a byte's four 2-bit fields is multiplied, as stored (c = t + 1 in [0, 3]), by a
 * broadcast pair of activation codes (the two values the row's two bytes hold in that field) and added to a 16-bit
 * sum. The 1 is taken out once per block through the activation block sum, in integers. Once per block, each row's
 * pair of lanes is added into one 32-bit lane, converted to float (exact: far below 2^24) and multiply-added with
 * the rows' scales times the activation scale. No lane ever needs a horizontal sum.
 *
 * <p>Unlike the other integer kernels, whose 16 nibble bytes per block fill at most 256 bits of shorts, this one
 * runs at the configured width, up to 512 bits: a block's 64 code bytes per row fill any width, and the loop is
 * bound by vector operations (about 15 per chunk and vector: a widening load, three shifts, three masks, four
 * multiplies and four adds), so on one core it ran about twice as fast at 512 bits as at 256, and 256 twice 128.
 * Two vectors of rows go through the loop together and share the four activation broadcasts of each chunk (a third
 * and fourth vector measured no faster).
 */
final class InterleavedTq2 {

    private static final int BITS = KernelProvider.VECTOR_BITS;
    private static final VectorSpecies<Byte> BYTES = VectorKernels.species(byte.class, BITS / 2);
    private static final VectorSpecies<Short> SHORTS = VectorKernels.species(short.class, BITS);
    private static final VectorSpecies<Integer> INTS = VectorKernels.species(int.class, BITS);
    private static final VectorSpecies<Float> FLOATS = VectorKernels.species(float.class, BITS);
    /** Rows per vector: two 16-bit lanes each. */
    private static final int ROWS = SHORTS.length() / 2;
    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 256;
    private static final int UNIT = Tq2Units.UNIT_BYTES;
    private static final int CODES = Tq2Units.CODES;
    private static final int CHUNK = Tq2Units.CHUNK;
    private static final int CHUNKS = Tq2Units.CODE_BYTES / 2;
    /** The 2-bit field mask and the code offset, hoisted: a scalar operand is broadcast again at every use. */
    private static final ShortVector THREES = ShortVector.broadcast(SHORTS, (short) 3);
    private static final ShortVector ONES = ShortVector.broadcast(SHORTS, (short) 1);
    /** Two adjacent activation codes, read as one 32-bit value: lane 2i gets the first, lane 2i + 1 the second. */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    /** Even lanes (each row's first byte) then odd lanes (its second), for the decoded floats' row order. */
    private static final VectorShuffle<Short> BYTE_ORDER =
            VectorShuffle.fromOp(SHORTS, l -> l < ROWS ? 2 * l : 2 * (l - ROWS) + 1);

    private InterleavedTq2() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd). Whole vectors of rows are computed, two at a time; lanes outside the range are dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        MemorySegment m = w.data();
        int blocks = w.cols() / BLOCK;
        int base = column * w.cols();
        for (int first = rowStart - rowStart % ROWS; first < rowEnd; first += 2 * ROWS) {
            // Past the last row, the second vector repeats the first (its lanes are dropped).
            int second = first + ROWS < w.rows() ? first + ROWS : first;
            rows(m, RowInterleaving.unitOffset(w, first / GROUP, 0), first % GROUP,
                    RowInterleaving.unitOffset(w, second / GROUP, 0), second % GROUP, blocks, x.qkCodeMemory,
                    x.qkScales, x.qkSums256, base, out, outOffset + first, Math.max(rowStart - first, 0),
                    Math.min(rowEnd - first, 2 * ROWS));
        }
    }

    /**
     * The dot products of two vectors of {@link #ROWS} rows, from row {@code lane0} of the group whose units start
     * at {@code units0} and from row {@code lane1} of that at {@code units1}, written to {@code out[at + i]} for
     * lanes i in [from, to) (the second vector's lanes follow the first's). The two share the activation broadcasts.
     *
     * <p>Bounds: a lane gets 4 products per chunk, 128 per block, each at most 3 x 127 = 381 (code 3, which no
     * quantizer writes, reads as 2 as in llama.cpp), so 128 of them could overflow 16 bits; fields 0 and 1 go to
     * one sum and fields 2 and 3 to another, 64 products each: at most 24384.
     */
    private static void rows(MemorySegment m, long units0, int lane0, long units1, int lane1, int blocks,
            MemorySegment a, float[] as, int[] sums, int base, float[] out, int at, int from, int to) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long unit0 = units0 + (long) b * UNIT;
            long unit1 = units1 + (long) b * UNIT;
            long codes0 = unit0 + CODES + 2L * lane0;
            long codes1 = unit1 + CODES + 2L * lane1;
            int ai = base + b * BLOCK;
            ShortVector low0 = ShortVector.zero(SHORTS);
            ShortVector high0 = ShortVector.zero(SHORTS);
            ShortVector low1 = ShortVector.zero(SHORTS);
            ShortVector high1 = ShortVector.zero(SHORTS);
            for (int k = 0; k < CHUNKS; k++) {
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, codes0 + (long) CHUNK * k,
                        LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, codes1 + (long) CHUNK * k,
                        LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                // Bytes 2k and 2k + 1 of the block: values 128h + 2k' + e + 32n of the half h = k / 16, k' = k % 16
                // (byte offsets: 2 per code).
                long aj = 2L * (ai + 8 * (k & 16) + 2 * (k & 15));
                // Written out rather than through helpers: C2 stops inlining small helpers once this method is
                // large, and a vector passed to a call that was not inlined is boxed (several times slower).
                ShortVector a0 = IntVector.broadcast(INTS, a.get(PAIR, aj)).reinterpretAsShorts();
                ShortVector a1 = IntVector.broadcast(INTS, a.get(PAIR, aj + 64)).reinterpretAsShorts();
                ShortVector a2 = IntVector.broadcast(INTS, a.get(PAIR, aj + 128)).reinterpretAsShorts();
                ShortVector a3 = IntVector.broadcast(INTS, a.get(PAIR, aj + 192)).reinterpretAsShorts();
                low0 = low0.add(q0.and(THREES).mul(a0)
                        .add(q0.lanewise(VectorOperators.LSHR, 2).and(THREES).mul(a1)));
                high0 = high0.add(q0.lanewise(VectorOperators.LSHR, 4).and(THREES).mul(a2)
                        .add(q0.lanewise(VectorOperators.LSHR, 6).mul(a3)));
                low1 = low1.add(q1.and(THREES).mul(a0)
                        .add(q1.lanewise(VectorOperators.LSHR, 2).and(THREES).mul(a1)));
                high1 = high1.add(q1.lanewise(VectorOperators.LSHR, 4).and(THREES).mul(a2)
                        .add(q1.lanewise(VectorOperators.LSHR, 6).mul(a3)));
            }
            // Each row's two lanes into one 32-bit lane, for both sums, minus the activation block sum (the 1 of
            // every code, exactly).
            int sum = sums[ai / BLOCK];
            float scale = as[ai / BLOCK];
            IntVector l0 = low0.reinterpretAsInts();
            IntVector h0 = high0.reinterpretAsInts();
            IntVector sum0 = l0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(l0.lanewise(VectorOperators.ASHR, 16))
                    .add(h0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(h0.lanewise(VectorOperators.ASHR, 16))
                    .sub(sum);
            IntVector l1 = low1.reinterpretAsInts();
            IntVector h1 = high1.reinterpretAsInts();
            IntVector sum1 = l1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(l1.lanewise(VectorOperators.ASHR, 16))
                    .add(h1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .add(h1.lanewise(VectorOperators.ASHR, 16))
                    .sub(sum);
            FloatVector scales0 = FloatVector.fromMemorySegment(FLOATS, m, unit0 + 4L * lane0, LITTLE_ENDIAN);
            FloatVector scales1 = FloatVector.fromMemorySegment(FLOATS, m, unit1 + 4L * lane1, LITTLE_ENDIAN);
            acc0 = ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(scales0.mul(scale), acc0);
            acc1 = ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(scales1.mul(scale), acc1);
        }
        if (from == 0 && to == 2 * ROWS) {
            acc0.intoArray(out, at);
            acc1.intoArray(out, at + ROWS);
            return;
        }
        for (int i = from; i < to; i++) {
            out[at + i] = i < ROWS ? acc0.lane(i) : acc1.lane(i - ROWS);
        }
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        for (int b = 0; b < w.cols() / BLOCK; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += ROWS) {
                FloatVector scales = FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
                for (int k = 0; k < CHUNKS; k++) {
                    // The rows' first bytes to the low half of the lanes, their second bytes to the high half.
                    ShortVector q = ((ShortVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + CODES + (long) CHUNK * k + 2L * lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0)).rearrange(BYTE_ORDER);
                    int first = GROUP * (b * BLOCK + 8 * (k & 16) + 2 * (k & 15)) + lane;
                    for (int n = 0; n < 4; n++) {
                        ShortVector t = q.lanewise(VectorOperators.LSHR, 2 * n).and(THREES).sub(ONES);
                        int at = first + GROUP * 32 * n;
                        ((FloatVector) t.convert(VectorOperators.S2F, 0)).mul(scales).intoArray(out, at);
                        ((FloatVector) t.convert(VectorOperators.S2F, 1)).mul(scales).intoArray(out, at + GROUP);
                    }
                }
            }
        }
    }
}
