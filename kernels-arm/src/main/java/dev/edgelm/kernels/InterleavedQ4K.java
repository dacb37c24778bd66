package dev.edgelm.kernels;

import static dev.edgelm.kernels.FullWidth.BYTES;
import static dev.edgelm.kernels.FullWidth.FLOATS;
import static dev.edgelm.kernels.FullWidth.INTS;
import static dev.edgelm.kernels.FullWidth.ROWS;
import static dev.edgelm.kernels.FullWidth.ROW_STEP;
import static dev.edgelm.kernels.FullWidth.SHORTS;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector products of Q4_K matrices in the interleaved layout ({@link Q4KUnits}), against Q8_K activations.
 *
 * <p>The unit stores each row's nibble bytes in pairs, so a vector of 16-bit lanes holds two consecutive nibble
 * bytes of each of {@code ROWS} rows: lanes 2i and 2i + 1 are row i. Both nibbles of the pair are multiplied by
 * their two activation codes, which one 32-bit broadcast of {@link QuantizedActivations#qkCodeMemory} puts in every
 * pair of lanes, and added to a 16-bit sum per sub-block (low nibbles: sub-block 2c of chunk c, high: 2c + 1).
 * Each lane takes 16 of the sub-block's 32 products, at most 16 x 15 x 127 = 30480: no overflow. Per sub-block,
 * the two lanes of each row are summed into one 32-bit lane (the row's integer dot, at most 60960), converted and
 * multiply-added with the rows' {@code d x scale} times the activation scale. The minimums go in once per block
 * through the activation code sums of the sub-blocks: {@code dmin x sum over s of min[s] x (code sum of sub-block
 * s)}, in float, where every product and partial sum is an integer below 2^22, so exact. No lane ever needs a
 * horizontal sum.
 *
 * <p>The width is the preferred one up to 512 bits (16 rows), not {@link VectorKernels}' 256-bit integer cap: that
 * cap comes from the 16 nibble bytes of a Q4_0 block, while here a vector's length is a number of rows.
 */
final class InterleavedQ4K {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    /**
     * Lanes from a pass's first vector of rows to its second within their unit: the group's next {@code ROWS} rows,
     * or none when a vector holds the whole group (the second vector is then the next group's).
     */
    private static final int LANE_STEP = ROWS < GROUP ? ROWS : 0;
    /** Row alignment of a pass: its two vectors in one group when they fit. */
    private static final int PASS_ALIGN = Math.min(2 * ROWS, GROUP);

    private static final int SUPER = VectorKernels.SUPER;
    private static final int SUB = 32;
    private static final int SUBS = Q4KUnits.SUBS;
    private static final int UNIT = Q4KUnits.UNIT_BYTES;
    /** Bytes of a chunk's nibbles: 16 pairs of 16 rows. */
    private static final int CHUNK_BYTES = SUB * GROUP;
    /** Per-16 activation code sums per sub-block. */
    private static final int SUMS_PER_SUB = SUB / QuantizedActivations.QK_SUM_GROUP;
    private static final ShortVector LOW_NIBBLE = ShortVector.broadcast(SHORTS, (short) 0xF);

    /** Two adjacent activation codes read as one 32-bit value: lane 2i gets the first, lane 2i + 1 the second. */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);

    private InterleavedQ4K() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd). Two vectors of rows at a time, which share each activation broadcast and give the
     * multiply-adds two independent chains (a fifth faster than one vector at each width); lanes outside the range
     * are computed and dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        for (int first = rowStart - rowStart % PASS_ALIGN; first < rowEnd; first += ROW_STEP) {
            rows(w, x, column, out, outOffset, rowStart, rowEnd, first);
        }
    }

    /**
     * {@link #matvec} for the rows of vectors [first, first + ROWS) and [first + ROWS, first + 2 ROWS). A second
     * vector in another group that starts at or past rowEnd repeats the first (the same loads, from the cache, and
     * its results dropped) rather than read a group that may not exist.
     */
    private static void rows(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd, int first) {
        // Written out rather than through helpers: C2 stops inlining small helpers once this method is large,
        // and a vector returned from a call that was not inlined is boxed (several times slower).
        MemorySegment m = w.data();
        long units = RowInterleaving.unitOffset(w, first / GROUP, 0);
        // Bytes from the first vector's units to the second's: a constant 0 within a group, so that C2 addresses
        // both vectors from one base.
        long units2 = units + (LANE_STEP > 0 || first + GROUP >= rowEnd ? 0
                : RowInterleaving.unitOffset(w, first / GROUP + 1, 0) - units);
        int lane = first % GROUP;
        int lane2 = lane + LANE_STEP;
        int blocks = w.cols() / SUPER;
        int base = column * w.cols();
        MemorySegment codes = x.qkCodeMemory;
        float[] as = x.qkScales;
        int[] sums = x.qkSums16;
        FloatVector acc = FloatVector.zero(FLOATS);
        FloatVector acc2 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long unit = units + (long) b * UNIT;
            long unit2 = units2 + (long) b * UNIT;
            int ai = base + b * SUPER;
            float scale = as[ai / SUPER];
            int firstSum = ai / QuantizedActivations.QK_SUM_GROUP;
            // Minimums: sum over s of min[s] x (minus the code sum of sub-block s), at most 8 x 63 x 4064.
            FloatVector mins = FloatVector.zero(FLOATS);
            FloatVector mins2 = FloatVector.zero(FLOATS);
            for (int s = 0; s < SUBS; s++) {
                FloatVector codeSum = FloatVector.broadcast(FLOATS,
                        -(sums[firstSum + SUMS_PER_SUB * s] + sums[firstSum + SUMS_PER_SUB * s + 1]));
                mins = codeSum.fma(ByteVector.fromMemorySegment(BYTES, m, unit + Q4KUnits.MINS + GROUP * s + lane,
                        LITTLE_ENDIAN).convertShape(VectorOperators.B2F, FLOATS, 0), mins);
                mins2 = codeSum.fma(ByteVector.fromMemorySegment(BYTES, m, unit2 + Q4KUnits.MINS + GROUP * s + lane2,
                        LITTLE_ENDIAN).convertShape(VectorOperators.B2F, FLOATS, 0), mins2);
            }
            acc = mins.fma(FloatVector.fromMemorySegment(FLOATS, m, unit + Q4KUnits.DMIN + 4L * lane, LITTLE_ENDIAN)
                    .mul(scale), acc);
            acc2 = mins2.fma(FloatVector.fromMemorySegment(FLOATS, m, unit2 + Q4KUnits.DMIN + 4L * lane2,
                    LITTLE_ENDIAN).mul(scale), acc2);
            FloatVector d = FloatVector.fromMemorySegment(FLOATS, m, unit + Q4KUnits.D + 4L * lane, LITTLE_ENDIAN)
                    .mul(scale);
            FloatVector d2 = FloatVector.fromMemorySegment(FLOATS, m, unit2 + Q4KUnits.D + 4L * lane2, LITTLE_ENDIAN)
                    .mul(scale);
            for (int chunk = 0; chunk < SUBS / 2; chunk++) {
                ShortVector low = ShortVector.zero(SHORTS);
                ShortVector high = ShortVector.zero(SHORTS);
                ShortVector low2 = ShortVector.zero(SHORTS);
                ShortVector high2 = ShortVector.zero(SHORTS);
                long nibbles = unit + Q4KUnits.NIBBLES + (long) CHUNK_BYTES * chunk + 2 * lane;
                long nibbles2 = unit2 + Q4KUnits.NIBBLES + (long) CHUNK_BYTES * chunk + 2 * lane2;
                // Pair k: values 64c + 2k and 64c + 2k + 1 in the low nibbles, 32 more in the high ones.
                int pair = (ai + 2 * SUB * chunk) / 2;
                for (int k = 0; k < SUB / 2; k++) {
                    ShortVector lowCodes = (ShortVector) IntVector.broadcast(INTS, codes.get(PAIR, 4L * (pair + k)))
                            .reinterpretShape(SHORTS, 0);
                    ShortVector highCodes = (ShortVector) IntVector.broadcast(INTS,
                            codes.get(PAIR, 4L * (pair + SUB / 2 + k))).reinterpretShape(SHORTS, 0);
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, nibbles + 2 * GROUP * k,
                            LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, nibbles2 + 2 * GROUP * k,
                            LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    low = q.and(LOW_NIBBLE).mul(lowCodes).add(low);
                    high = q.lanewise(VectorOperators.LSHR, 4).mul(highCodes).add(high);
                    low2 = q2.and(LOW_NIBBLE).mul(lowCodes).add(low2);
                    high2 = q2.lanewise(VectorOperators.LSHR, 4).mul(highCodes).add(high2);
                }
                // Each row's two lanes into one (pairSum in VectorKernels), then the rows' d x scale.
                IntVector lowSums = (IntVector) low.reinterpretShape(INTS, 0);
                IntVector highSums = (IntVector) high.reinterpretShape(INTS, 0);
                IntVector lowSums2 = (IntVector) low2.reinterpretShape(INTS, 0);
                IntVector highSums2 = (IntVector) high2.reinterpretShape(INTS, 0);
                lowSums = lowSums.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(lowSums.lanewise(VectorOperators.ASHR, 16));
                highSums = highSums.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(highSums.lanewise(VectorOperators.ASHR, 16));
                lowSums2 = lowSums2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(lowSums2.lanewise(VectorOperators.ASHR, 16));
                highSums2 = highSums2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(highSums2.lanewise(VectorOperators.ASHR, 16));
                long scales = unit + Q4KUnits.SCALES + GROUP * 2 * chunk + lane;
                long scales2 = unit2 + Q4KUnits.SCALES + GROUP * 2 * chunk + lane2;
                acc = d.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, m, scales, LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .fma(lowSums.convertShape(VectorOperators.I2F, FLOATS, 0), acc);
                acc = d.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, m, scales + GROUP, LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .fma(highSums.convertShape(VectorOperators.I2F, FLOATS, 0), acc);
                acc2 = d2.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, m, scales2, LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .fma(lowSums2.convertShape(VectorOperators.I2F, FLOATS, 0), acc2);
                acc2 = d2.mul((FloatVector) ByteVector.fromMemorySegment(BYTES, m, scales2 + GROUP, LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .fma(highSums2.convertShape(VectorOperators.I2F, FLOATS, 0), acc2);
            }
        }
        // Masked stores: lane i of a vector from row r is stored if rowStart <= r + i < rowEnd.
        int at = outOffset + first;
        acc.intoArray(out, at, FLOATS.indexInRange(first - rowStart, rowEnd - rowStart));
        acc2.intoArray(out, at + ROWS, FLOATS.indexInRange(first + ROWS - rowStart, rowEnd - rowStart));
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from. Each value is
     * {@code fma(q, d x scale, -(dmin x min))}, rounded as {@link VectorDecoders} rounds the GGUF layout's, so both
     * layouts' products agree bit for bit.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        int blocks = w.cols() / SUPER;
        for (int b = 0; b < blocks; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += ROWS) {
                FloatVector d = FloatVector.fromMemorySegment(FLOATS, m, unit + Q4KUnits.D + 4L * lane, LITTLE_ENDIAN);
                FloatVector dmin = FloatVector.fromMemorySegment(FLOATS, m, unit + Q4KUnits.DMIN + 4L * lane,
                        LITTLE_ENDIAN);
                for (int s = 0; s < SUBS; s++) {
                    FloatVector scale = ((FloatVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + Q4KUnits.SCALES + GROUP * s + lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).mul(d);
                    FloatVector negatedMin = ((FloatVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + Q4KUnits.MINS + GROUP * s + lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2F, FLOATS, 0)).mul(dmin).neg();
                    // Sub-block s: the low nibbles of chunk s / 2 for even s, the high ones for odd s.
                    long nibbles = unit + Q4KUnits.NIBBLES + (long) CHUNK_BYTES * (s / 2) + 2 * lane;
                    int shift = 4 * (s % 2);
                    for (int k = 0; k < SUB / 2; k++) {
                        // A row's pair in one 32-bit lane: value 2k in bits 0-7 and 2k + 1 in bits 16-23.
                        IntVector q = ((IntVector) ByteVector.fromMemorySegment(BYTES, m, nibbles + 2 * GROUP * k,
                                LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0)
                                .reinterpretShape(INTS, 0)).lanewise(VectorOperators.LSHR, shift);
                        int at = GROUP * (b * SUPER + SUB * s + 2 * k) + lane;
                        ((FloatVector) q.and(0xF).convertShape(VectorOperators.I2F, FLOATS, 0)).fma(scale, negatedMin)
                                .intoArray(out, at);
                        ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0xF)
                                .convertShape(VectorOperators.I2F, FLOATS, 0)).fma(scale, negatedMin)
                                .intoArray(out, at + GROUP);
                    }
                }
            }
        }
    }
}
