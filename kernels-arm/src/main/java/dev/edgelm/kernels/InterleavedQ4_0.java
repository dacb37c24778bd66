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
 * Vector products of Q4_0 matrices in the interleaved layout ({@link Q4_0Units}), with Q8_0 activations.
 *
 * <p>A chunk of a unit, loaded and zero-extended, holds two nibble bytes of {@code ROWS} rows, a row's two bytes in
 * adjacent 16-bit lanes. The low nibbles are multiplied by the broadcast pair of activation codes of values 2k and
 * 2k + 1, the high nibbles by that of values 2k + 16 and 2k + 17, and both products are added to one 16-bit sum per
 * lane. Nibbles are multiplied as stored (q + 8), and the 8 is taken out once per block through the activation
 * block sum, in integers. At the block's end each row's pair of lanes is added into one 32-bit lane, converted to
 * float (exact: far below 2^24) and multiply-added with the rows' scales times the activation scale. No lane ever
 * needs a horizontal sum.
 *
 * <p>The loop runs at the configured width, up to 512 bits, as {@link InterleavedQ8_0}'s does, two vectors of rows
 * together sharing the activation broadcasts, in one loop over every step of the rows with a block's end as a
 * branch (C2's set-up of each entry into a counted loop over segment offsets costs more than a block's 8 steps).
 */
final class InterleavedQ4_0 {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 32;
    private static final int UNIT = Q4_0Units.UNIT_BYTES;
    private static final int NIBBLES = Q4_0Units.NIBBLES;
    private static final int CHUNK = Q4_0Units.CHUNK;
    /** Steps per block: one chunk (four values of each row) each. */
    private static final int STEPS = BLOCK / 4;
    /** Bytes from a block's first activation code to its 17th (2 per code), whose values the high nibbles hold. */
    private static final int HIGH_CODES = 2 * (BLOCK / 2);
    /** Two adjacent activation codes, read as one 32-bit value: lane 2i gets the first, lane 2i + 1 the second. */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);

    private InterleavedQ4_0() {}

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
                    x.q8Scales, x.q8Sums, base, out, outOffset + first, Math.max(rowStart - first, 0),
                    Math.min(rowEnd - first, 2 * ROWS));
        }
    }

    /**
     * The dot products of two vectors of {@code ROWS} rows, from row {@code lane0} of the group whose units start
     * at {@code units0} and from row {@code lane1} of that at {@code units1}, written to {@code out[at + i]} for
     * lanes i in [from, to) (the second vector's lanes follow the first's). {@code a}, {@code as} and {@code sums}
     * are the activation codes (as 16-bit values in memory), scales and block sums of codes.
     *
     * <p>Bounds: a 16-bit lane gets two products per step, each at most 15 x 127 = 1905 in magnitude (activation
     * codes are in [-127, 127]), over a block's 8 steps: at most 30480, which fits.
     */
    private static void rows(MemorySegment m, long units0, int lane0, long units1, int lane1, int blocks,
            MemorySegment a, float[] as, int[] sums, int base, float[] out, int at, int from, int to) {
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        ShortVector s0 = ShortVector.zero(SHORTS);
        ShortVector s1 = ShortVector.zero(SHORTS);
        // The step's chunk of each vector's rows, and the byte offset of its low values' codes (2 bytes per code).
        long c0 = units0 + NIBBLES + 2L * lane0;
        long c1 = units1 + NIBBLES + 2L * lane1;
        long aj = 2L * base;
        int block = base / BLOCK;
        for (int step = 0; step < blocks * STEPS; step++) {
            // Written out rather than through helpers: C2 stops inlining small helpers once this method is large,
            // and a vector passed to a call that was not inlined is boxed (several times slower).
            ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c0, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, c1, LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            ShortVector low = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj)).reinterpretShape(SHORTS, 0);
            ShortVector high = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + HIGH_CODES))
                    .reinterpretShape(SHORTS, 0);
            s0 = q0.and((short) 0xF).mul(low).add(q0.lanewise(VectorOperators.LSHR, 4).mul(high)).add(s0);
            s1 = q1.and((short) 0xF).mul(low).add(q1.lanewise(VectorOperators.LSHR, 4).mul(high)).add(s1);
            c0 += CHUNK;
            c1 += CHUNK;
            aj += 4;
            if (step % STEPS == STEPS - 1) {
                // The block's last step: c0 is now the next unit's start plus 2 lane0, so the scales of this unit's
                // rows (its start plus 4 lane0) are at c0 - UNIT + 2 lane0; c1 likewise.
                float scale = as[block];
                int offset = -8 * sums[block++];
                aj += HIGH_CODES;
                FloatVector scales0 = FloatVector.fromMemorySegment(FLOATS, m, c0 - UNIT + 2L * lane0, LITTLE_ENDIAN);
                FloatVector scales1 = FloatVector.fromMemorySegment(FLOATS, m, c1 - UNIT + 2L * lane1, LITTLE_ENDIAN);
                IntVector p0 = (IntVector) s0.reinterpretShape(INTS, 0);
                IntVector p1 = (IntVector) s1.reinterpretShape(INTS, 0);
                // Each row's two lanes into its 32-bit lane: the low lane sign-extended, plus the high one.
                IntVector r0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(p0.lanewise(VectorOperators.ASHR, 16)).add(offset);
                IntVector r1 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(p1.lanewise(VectorOperators.ASHR, 16)).add(offset);
                acc0 = scales0.mul(scale).fma(r0.convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc1 = scales1.mul(scale).fma(r1.convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
                s0 = ShortVector.zero(SHORTS);
                s1 = ShortVector.zero(SHORTS);
                c0 += NIBBLES;
                c1 += NIBBLES;
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
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        for (int b = 0; b < w.cols() / BLOCK; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += ROWS) {
                FloatVector scales = FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
                for (int k = 0; k < STEPS; k++) {
                    // A row's 32-bit lane holds its bytes 2k (low half) and 2k + 1: the nibbles of values 2k, 2k + 16
                    // and 2k + 1, 2k + 17. Value j = 32 b + 2k of row i goes to 16 j + i.
                    IntVector pairs = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + NIBBLES + (long) CHUNK * k + 2L * lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0)).reinterpretShape(INTS, 0);
                    int first = GROUP * (b * BLOCK + 2 * k) + lane;
                    for (int half = 0; half < 2; half++) {
                        IntVector nibbles = pairs.lanewise(VectorOperators.LSHR, 4 * half);
                        int at = first + GROUP * BLOCK / 2 * half;
                        storeScaled(nibbles, scales, out, at);
                        storeScaled(nibbles.lanewise(VectorOperators.LSHR, 16), scales, out, at + GROUP);
                    }
                }
            }
        }
    }

    /** The low nibbles of {@code nibbles}, less 8, times {@code scales}, to {@code out[at ..]}. */
    private static void storeScaled(IntVector nibbles, FloatVector scales, float[] out, int at) {
        ((FloatVector) nibbles.and(0xF).sub(8).convertShape(VectorOperators.I2F, FLOATS, 0)).mul(scales)
                .intoArray(out, at);
    }
}
