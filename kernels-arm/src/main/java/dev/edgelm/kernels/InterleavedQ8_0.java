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
 * Vector products of Q8_0 matrices in the interleaved layout ({@link Q8_0Units}), with Q8_0 activations.
 *
 * <p>A chunk of a unit, loaded and sign-extended, holds two codes of {@code ROWS} rows, a row's two codes in
 * adjacent 16-bit lanes; it is multiplied by the broadcast pair of activation codes of those two values. Two
 * chunks' products are added in 16 bits, then each row's pair of lanes is added into one 32-bit lane, converted to
 * float at the end of the block (exact: far below 2^24) and multiply-added with the rows' scales times the
 * activation scale. No lane ever needs a horizontal sum.
 *
 * <p>The loop runs at the configured width, up to 512 bits, as {@link InterleavedTq2}'s does: a block's 32 codes
 * per row fill any width with whole rows. Two vectors of rows go through it together and share the activation
 * broadcasts. It is one loop over every step of the rows, a block's end being a branch taken every
 * {@value #STEPS}th step, rather than a loop over a block's steps inside a loop over the blocks: C2 prepares each
 * entry into a counted loop over segment offsets with range-check predicates (some 60 instructions), which cost
 * more than the block's 8 steps. In the L2 cache on one thread, the flat loop measured 1.6 times as fast as the
 * nested one at 512 bits and at 128; four vectors per step, four chunks per step, full-width loads split in two,
 * and the pair sum through a bias and a second sum (one vector operation fewer) measured no faster or slower.
 */
final class InterleavedQ8_0 {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 32;
    private static final int UNIT = Q8_0Units.UNIT_BYTES;
    private static final int CODES = Q8_0Units.CODES;
    private static final int CHUNK = Q8_0Units.CHUNK;
    /** Steps per block: two chunks (four values of each row) each. */
    private static final int STEPS = BLOCK / 4;
    /** Two adjacent activation codes, read as one 32-bit value: lane 2i gets the first, lane 2i + 1 the second. */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);

    private InterleavedQ8_0() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} dotted with activation column {@code column}, for rows in
     * [rowStart, rowEnd). Whole vectors of rows are computed, two at a time; lanes outside the range are dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        MemorySegment m = w.data();
        int blocks = w.cols() / BLOCK;
        int base = column * w.cols();
        for (int first = rowStart - rowStart % ROWS; first < rowEnd; first += ROW_STEP) {
            // Past the last row, the second vector repeats the first (its lanes are dropped).
            int second = first + ROWS < w.rows() ? first + ROWS : first;
            rows(m, RowInterleaving.unitOffset(w, first / GROUP, 0), first % GROUP,
                    RowInterleaving.unitOffset(w, second / GROUP, 0), second % GROUP, blocks, x.q8CodeMemory,
                    x.q8Scales, base, out, outOffset + first, Math.max(rowStart - first, 0),
                    Math.min(rowEnd - first, 2 * ROWS));
        }
    }

    /**
     * The dot products of two vectors of {@code ROWS} rows, from row {@code lane0} of the group whose units start
     * at {@code units0} and from row {@code lane1} of that at {@code units1}, written to {@code out[at + i]} for
     * lanes i in [from, to) (the second vector's lanes follow the first's). {@code a} and {@code as} are the
     * activation codes (as 16-bit values in memory) and scales.
     *
     * <p>Bounds: a 16-bit lane gets two products, of values 2k + e and 2k + 2 + e of its row, each at most
     * 128 x 127 = 16256 in magnitude (weight codes are in [-128, 127], activation codes in [-127, 127]): at most
     * 32512, which fits. A block's 32-bit lane sums 32 of them: at most 520192.
     */
    private static void rows(MemorySegment m, long units0, int lane0, long units1, int lane1, int blocks,
            MemorySegment a, float[] as, int base, float[] out, int at, int from, int to) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        IntVector s0 = IntVector.zero(INTS);
        IntVector s1 = IntVector.zero(INTS);
        // The step's first chunk of each vector's rows, and the byte offset of its activation codes (2 per code).
        long c0 = units0 + CODES + 2L * lane0;
        long c1 = units1 + CODES + 2L * lane1;
        long aj = 2L * base;
        int block = base / BLOCK;
        for (int step = 0; step < blocks * STEPS; step++) {
            // Written out rather than through helpers: C2 stops inlining small helpers once this method is large,
            // and a vector passed to a call that was not inlined is boxed (several times slower).
            ShortVector q00 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c0, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector q01 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c0 + CHUNK, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector q10 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c1, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector q11 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c1 + CHUNK, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector a0 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj)).reinterpretShape(SHORTS, 0);
            ShortVector a1 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + 4)).reinterpretShape(SHORTS, 0);
            IntVector p0 = (IntVector) q00.mul(a0).add(q01.mul(a1)).reinterpretShape(INTS, 0);
            IntVector p1 = (IntVector) q10.mul(a0).add(q11.mul(a1)).reinterpretShape(INTS, 0);
            // Each row's two lanes into its 32-bit lane: the low lane sign-extended, plus the high one.
            s0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p0.lanewise(VectorOperators.ASHR, 16)).add(s0);
            s1 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p1.lanewise(VectorOperators.ASHR, 16)).add(s1);
            c0 += 2 * CHUNK;
            c1 += 2 * CHUNK;
            aj += 8;
            if (step % STEPS == STEPS - 1) {
                // The block's last step: c0 is now the next unit's start plus 2 lane0, so the scales of this
                // unit's rows (its start plus 4 lane0) are at c0 - UNIT + 2 lane0; c1 likewise.
                float scale = as[block++];
                FloatVector scales0 = FloatVector.fromMemorySegment(FLOATS, m, c0 - UNIT + 2L * lane0,
                        LITTLE_ENDIAN);
                FloatVector scales1 = FloatVector.fromMemorySegment(FLOATS, m, c1 - UNIT + 2L * lane1,
                        LITTLE_ENDIAN);
                acc0 = scales0.mul(scale).fma(s0.convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc1 = scales1.mul(scale).fma(s1.convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
                s0 = IntVector.zero(INTS);
                s1 = IntVector.zero(INTS);
                c0 += CODES;
                c1 += CODES;
            }
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
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from. Each value is the code
     * times the row's scale, as the row layout's decoding computes it.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        for (int b = 0; b < w.cols() / BLOCK; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += ROWS) {
                FloatVector scales = FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
                for (int k = 0; k < BLOCK / 2; k++) {
                    // Lanes (row, e): code 2k + e of each row; value j = 32 b + 2k of row i to 16 j + i, j + 1 after.
                    IntVector pairs = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + CODES + (long) CHUNK * k + 2L * lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, SHORTS, 0)).reinterpretShape(INTS, 0);
                    int first = GROUP * (b * BLOCK + 2 * k) + lane;
                    ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .convertShape(VectorOperators.I2F, FLOATS, 0)).mul(scales).intoArray(out, first);
                    ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16)
                            .convertShape(VectorOperators.I2F, FLOATS, 0))
                            .mul(scales).intoArray(out, first + GROUP);
                }
            }
        }
    }
}
