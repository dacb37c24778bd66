package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FLOATS;
import static dev.edgelm.kernels.VectorKernels.FLOAT_INTS;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector products of Q6_K matrices in the interleaved layout ({@link Q6KUnits}).
 *
 * <p>The code words are loaded at the full vector width (not capped like {@link VectorKernels}' integer loops: a
 * 512-bit vector holds one word of each of 16 rows and 2 parities, exactly a word row of a unit), so a vector's
 * 16-bit lanes are (row, parity) pairs and {@link #ROWS} rows are computed at once. Each of the 8 value pairs of a
 * sub-block is sign-extended out of the words by one or two shifts (two more operations for the two values split
 * across words), multiplied by the pair of activation codes broadcast to every 32-bit lane, and added to a
 * 16-bit sum: 8 products of at most 32 x 127 = 4064 in magnitude per lane, at most 32512, which fits. The
 * parities' sums are added into 32-bit row lanes (the pair sum), multiplied by the rows' int8 sub-block scales in
 * 32 bits and added up over the block (at most 16 x 128 x 65024 = 133169152 in magnitude, far within 32 bits, so
 * the block's sum is exact), converted to float once per block and multiply-added with the rows' d times the
 * activation scale. The -32 of the codes is in the stored fields, not taken out through the activation sums:
 * unsigned codes (up to 63 x 127 = 8001) would fit only 4 products per 16-bit lane, and a sub-block's parity has 8.
 */
final class InterleavedQ6K {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 256;
    private static final int SUB = 16;
    private static final int UNIT = Q6KUnits.UNIT_BYTES;
    private static final int SCALES = Q6KUnits.SCALES;
    private static final int CODES = Q6KUnits.CODES;
    private static final int WORD_ROW = Q6KUnits.WORD_ROW;
    private static final int SUB_BYTES = Q6KUnits.SUB_BYTES;

    /** Code words at the full width: 16-bit lanes of (row, parity), the shorts of the floats' shape. */
    private static final VectorSpecies<Short> WORDS = VectorKernels.FLOAT_SHORTS;
    /** Rows per vector: the lanes of {@link VectorKernels#FLOATS} and {@link VectorKernels#FLOAT_INTS}. */
    static final int ROWS = FLOATS.length();
    /** Rows a pass computes: one vector. */
    static final int ROW_STEP = ROWS;
    /**
     * The rows' scale bytes, in the species the other full-width kernels load code bytes with (two bytes per row,
     * the first half used): a byte shape of its own would be a second one in the process, and C2 boxes the vectors
     * of kernels compiled while the Vector API's shared type profiles hold two shapes of a lane type
     * (docs/benchmarks.md, "Kernels that box their vectors at 512 bits").
     */
    private static final VectorSpecies<Byte> SCALE_BYTES = FullWidth.BYTES;
    private static final ShortVector LOW_PAIR = ShortVector.broadcast(WORDS, (short) 3);
    /** Two activation codes (shorts) as one int, the first in the low half (on little-endian platforms). */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    /**
     * Value pair k of a sub-block ({@link Q6KUnits}): the word row holding its top bits, the left shift that
     * brings them to the top of the lane, and the right shift and mask of its low bits in the third word (none but
     * for k = 6 and 7).
     */
    private static final int[] TOP_WORD = {0, 0, 1, 1, 2, 2, 0, 1};
    private static final int[] TOP_SHIFT = {0, 6, 0, 6, 0, 6, 12, 12};
    private static final int[] LOW_SHIFT = {0, 0, 0, 0, 0, 0, 2, 0};
    private static final short[] LOW_MASK = {0, 0, 0, 0, 0, 0, 3, 3};

    private InterleavedQ6K() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd). Whole vectors of rows are computed; lanes outside the range are dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        MemorySegment m = w.data();
        int blocks = w.cols() / BLOCK;
        int base = column * w.cols();
        for (int first = rowStart - rowStart % ROWS; first < rowEnd; first += ROW_STEP) {
            rows(m, RowInterleaving.unitOffset(w, first / GROUP, 0), first % GROUP, blocks, x.qkCodeMemory,
                    x.qkScales, base, out, outOffset + first, Math.max(rowStart - first, 0),
                    Math.min(rowEnd - first, ROWS));
        }
    }

    /**
     * The dot products of the {@link #ROWS} rows from row {@code row} of the group whose units start at
     * {@code units} (activation codes as bytes, {@code codes}), written to {@code out[at + i]} for lanes i in
     * [from, to).
     */
    private static void rows(MemorySegment m, long units, int row, int blocks, MemorySegment codes, float[] as,
            int base, float[] out, int at, int from, int to) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long unit = units + (long) b * UNIT;
            int ai = base + b * BLOCK;
            IntVector block = IntVector.zero(FLOAT_INTS);
            long words = unit + CODES + 4L * row;
            long scales = unit + SCALES + row;
            // Written out rather than through helpers: C2 stops inlining small helpers once this method is large,
            // and a vector passed to or returned from a call that was not inlined is boxed (several times slower).
            for (int s = 0; s < SUB; s++, words += SUB_BYTES, scales += GROUP) {
                ShortVector w0 = ShortVector.fromMemorySegment(WORDS, m, words, LITTLE_ENDIAN);
                ShortVector w1 = ShortVector.fromMemorySegment(WORDS, m, words + WORD_ROW, LITTLE_ENDIAN);
                ShortVector w2 = ShortVector.fromMemorySegment(WORDS, m, words + 2 * WORD_ROW, LITTLE_ENDIAN);
                long pair = 2L * (ai + SUB * s); // byte offset of the sub-block's activation codes
                // Activation codes j and j + 1, read as one int and broadcast from memory (a load, where building
                // the int in a register and moving it over costs vector operations), are the low and high half of
                // each 32-bit lane: lanes (row, parity).
                ShortVector sum = w0.lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair)).reinterpretShape(WORDS, 0));
                sum = sum.add(w0.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 4)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w1.lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 8)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w1.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 12)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w2.lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 16)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w2.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10)
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 20)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w0.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 10)
                        .or(w2.lanewise(VectorOperators.LSHR, 2).and(LOW_PAIR))
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 24)).reinterpretShape(WORDS, 0)));
                sum = sum.add(w1.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 10)
                        .or(w2.and(LOW_PAIR))
                        .mul(IntVector.broadcast(FLOAT_INTS, codes.get(PAIR, pair + 28)).reinterpretShape(WORDS, 0)));
                IntVector pairs = (IntVector) sum.reinterpretShape(FLOAT_INTS, 0);
                pairs = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(pairs.lanewise(VectorOperators.ASHR, 16));
                IntVector scale = (IntVector) ByteVector.fromMemorySegment(SCALE_BYTES, m, scales, LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, FLOAT_INTS, 0);
                block = pairs.mul(scale).add(block);
            }
            FloatVector d = FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * row, LITTLE_ENDIAN);
            acc = d.mul(as[ai / BLOCK]).fma(block.convertShape(VectorOperators.I2F, FLOATS, 0), acc);
        }
        if (from == 0 && to == ROWS) {
            acc.intoArray(out, at);
            return;
        }
        for (int i = from; i < to; i++) {
            out[at + i] = acc.lane(i);
        }
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from. Each value is d times the
     * scale, rounded to float, times the code, as the reference decodes it. The value pairs of a sub-block go
     * through one loop, their shifts taken from tables and their top word reloaded (from the L1 cache): eight
     * written-out pairs overran C2's inlining budget, and the vectors passed to the helper left out of line were
     * boxed.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        int blocks = w.cols() / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int row = 0; row < GROUP; row += ROWS) {
                FloatVector d = FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * row, LITTLE_ENDIAN);
                long words = unit + CODES + 4L * row;
                for (int s = 0; s < SUB; s++, words += SUB_BYTES) {
                    FloatVector scale = d.mul((FloatVector) ByteVector.fromMemorySegment(SCALE_BYTES, m,
                            unit + SCALES + GROUP * s + row, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, FLOATS, 0));
                    ShortVector w2 = ShortVector.fromMemorySegment(WORDS, m, words + 2 * WORD_ROW, LITTLE_ENDIAN);
                    for (int k = 0; k < SUB / 2; k++) {
                        ShortVector codes = ShortVector.fromMemorySegment(WORDS, m, words + WORD_ROW * TOP_WORD[k],
                                LITTLE_ENDIAN).lanewise(VectorOperators.LSHL, TOP_SHIFT[k])
                                .lanewise(VectorOperators.ASHR, 10)
                                .or(w2.lanewise(VectorOperators.LSHR, LOW_SHIFT[k]).and(LOW_MASK[k]));
                        // Lanes (row, parity): value j = 256 b + 16 s + 2k of row i to 16 j + i, value j + 1 after.
                        IntVector pairs = (IntVector) codes.reinterpretShape(FLOAT_INTS, 0);
                        int at = GROUP * (b * BLOCK + SUB * s + 2 * k) + row;
                        ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                                .convertShape(VectorOperators.I2F, FLOATS, 0)).mul(scale).intoArray(out, at);
                        ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16)
                                .convertShape(VectorOperators.I2F, FLOATS, 0)).mul(scale).intoArray(out, at + GROUP);
                    }
                }
            }
        }
    }
}
