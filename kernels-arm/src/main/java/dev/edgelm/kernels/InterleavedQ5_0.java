package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.BLOCK_FLOATS;
import static dev.edgelm.kernels.VectorKernels.BYTES;
import static dev.edgelm.kernels.VectorKernels.SHORTS;
import static dev.edgelm.kernels.VectorKernels.SL;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector products of Q5_0 matrices in the interleaved layout ({@link Q5_0Units}): a vector's lanes are rows, each
 * activation code is multiplied into 16 rows at once.
 *
 * <p>Each value is put together from its nibble and its fifth bit (0 to 31, stored as q + 16) and multiplied by the
 * broadcast activation code; the 16 is taken out once per block through the activation block sum, in integers. A
 * product is at most 31 x 127 = 3937, so a 16-bit sum takes 8 of them (31496): each half of a block's nibble bytes
 * gets a low-nibble and a high-nibble sum, widened to float at the end of the half.
 */
final class InterleavedQ5_0 {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 32;
    private static final int UNIT = Q5_0Units.UNIT_BYTES;
    private static final int HIGH_BITS = Q5_0Units.HIGH_BITS;
    private static final int NIBBLES = Q5_0Units.NIBBLES;
    /** Nibble bytes whose products one 16-bit sum can take. */
    private static final int RUN = 8;
    /** Lanes of each of the two float halves of a 16-bit vector. */
    private static final int HALF = SL / 2;

    private InterleavedQ5_0() {}

    /** The dot products of the rows of one vector ({@link InterleavedProducts.GroupRows}). */
    static void rows(MemorySegment m, long units, int lane, int blocks, QuantizedActivations x, int base,
            float[] out, int at, int from, int to) {
        short[] a = x.q8Codes;
        float[] as = x.q8Scales;
        int[] sums = x.q8Sums;
        FloatVector acc0 = FloatVector.zero(BLOCK_FLOATS);
        FloatVector acc1 = FloatVector.zero(BLOCK_FLOATS);
        for (int b = 0; b < blocks; b++) {
            long unit = units + (long) b * UNIT;
            int ai = base + b * BLOCK;
            ShortVector lowBits = ShortVector.fromMemorySegment(SHORTS, m, unit + HIGH_BITS + 2L * lane,
                    LITTLE_ENDIAN);
            ShortVector highBits = ShortVector.fromMemorySegment(SHORTS, m, unit + HIGH_BITS + 2L * (GROUP + lane),
                    LITTLE_ENDIAN);
            // Written out rather than through helpers: C2 stops inlining small helpers once this method is large, and
            // a vector returned from a call that was not inlined is boxed (several times slower).
            FloatVector sum0 = FloatVector.broadcast(BLOCK_FLOATS, -16f * sums[ai / BLOCK]);
            FloatVector sum1 = sum0;
            for (int first = 0; first < BLOCK / 2; first += RUN) {
                ShortVector low = ShortVector.zero(SHORTS);
                ShortVector high = ShortVector.zero(SHORTS);
                // The run's 8 fifth bits moved to bits 4 to 11, so that one shift and one mask place each at bit 4.
                ShortVector lowRun = lowBits.lanewise(VectorOperators.LSHR, first).lanewise(VectorOperators.LSHL, 4);
                ShortVector highRun = highBits.lanewise(VectorOperators.LSHR, first)
                        .lanewise(VectorOperators.LSHL, 4);
                for (int p = first; p < first + RUN; p++) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + NIBBLES + GROUP * p + lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                    ShortVector lowValues = q.and((short) 0xF)
                            .or(lowRun.lanewise(VectorOperators.LSHR, p - first).and((short) 0x10));
                    ShortVector highValues = q.lanewise(VectorOperators.LSHR, 4)
                            .or(highRun.lanewise(VectorOperators.LSHR, p - first).and((short) 0x10));
                    low = lowValues.mul(a[ai + p]).add(low);
                    high = highValues.mul(a[ai + BLOCK / 2 + p]).add(high);
                }
                // (sum + low) + high, with the loop's sums as operands (VectorKernels: how the loops are written).
                sum0 = ((FloatVector) high.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 0))
                        .add(((FloatVector) low.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 0)).add(sum0));
                sum1 = ((FloatVector) high.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 1))
                        .add(((FloatVector) low.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 1)).add(sum1));
            }
            float scale = as[ai / BLOCK];
            FloatVector scales0 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
            FloatVector scales1 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * (lane + HALF),
                    LITTLE_ENDIAN);
            acc0 = sum0.fma(scales0.mul(scale), acc0);
            acc1 = sum1.fma(scales1.mul(scale), acc1);
        }
        if (from == 0 && to == SL) {
            acc0.intoArray(out, at);
            acc1.intoArray(out, at + HALF);
            return;
        }
        for (int i = from; i < to; i++) {
            out[at + i] = i < HALF ? acc0.lane(i) : acc1.lane(i - HALF);
        }
    }

    /**
     * The rows of group {@code group} as the floats they stand for, value j of the group's row i at
     * {@code out[16 j + i]}: the form the tiled matrix-matrix product broadcasts from.
     */
    static void decodeGroup(WeightMatrix w, int group, float[] out) {
        MemorySegment m = w.data();
        int blocks = w.cols() / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += SL) {
                FloatVector scales0 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * lane,
                        LITTLE_ENDIAN);
                FloatVector scales1 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * (lane + HALF),
                        LITTLE_ENDIAN);
                ShortVector lowBits = ShortVector.fromMemorySegment(SHORTS, m, unit + HIGH_BITS + 2L * lane,
                        LITTLE_ENDIAN);
                ShortVector highBits = ShortVector.fromMemorySegment(SHORTS, m,
                        unit + HIGH_BITS + 2L * (GROUP + lane), LITTLE_ENDIAN);
                for (int p = 0; p < BLOCK / 2; p++) {
                    ShortVector q = VectorKernels.bytesAsUnsignedShorts(m, unit + NIBBLES + GROUP * p + lane);
                    ShortVector lowValues = q.and((short) 0xF).or(lowBits.lanewise(VectorOperators.LSHR, p)
                            .and((short) 1).lanewise(VectorOperators.LSHL, 4)).sub((short) 16);
                    ShortVector highValues = q.lanewise(VectorOperators.LSHR, 4).or(highBits
                            .lanewise(VectorOperators.LSHR, p).and((short) 1).lanewise(VectorOperators.LSHL, 4))
                            .sub((short) 16);
                    int low = GROUP * (b * BLOCK + p) + lane;
                    storeScaled(lowValues, scales0, scales1, out, low);
                    storeScaled(highValues, scales0, scales1, out, low + GROUP * BLOCK / 2);
                }
            }
        }
    }

    /** {@code codes} (one value of {@link VectorKernels#SL} rows) times those rows' scales, to {@code out[at ..]}. */
    private static void storeScaled(ShortVector codes, FloatVector scales0, FloatVector scales1, float[] out,
            int at) {
        ((FloatVector) codes.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 0)).mul(scales0).intoArray(out, at);
        ((FloatVector) codes.convertShape(VectorOperators.S2F, BLOCK_FLOATS, 1)).mul(scales1).intoArray(out, at + HALF);
    }
}
