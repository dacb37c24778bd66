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
 * Vector products of Q4_0 matrices in the interleaved layout ({@link Q4_0Units}).
 *
 * <p>A vector's lanes are rows. Per activation code, one vector of 16-bit nibbles (one value of {@link #SL} rows)
 * is multiplied by the broadcast code and added to a 16-bit sum; the low and high nibbles of a block get a sum
 * each, so that neither overflows (16 products of at most 15 x 128). Nibbles are multiplied as stored (q + 8) and
 * the 8 is taken out once per block through the activation block sum, in integers, so nothing cancels in float.
 * The two sums are widened to float (exact: they stay far below 2^24) and multiplied with the 16 rows' scales
 * times the activation scale in one multiply-add per block and row, as the row-by-row kernel does. No lane ever
 * needs a horizontal sum.
 */
final class InterleavedQ4_0 {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    private static final int BLOCK = 32;
    private static final int UNIT = Q4_0Units.UNIT_BYTES;
    private static final int NIBBLES = Q4_0Units.NIBBLES;
    /** Lanes of each of the two float halves of a 16-bit vector. */
    private static final int HALF = SL / 2;

    private InterleavedQ4_0() {}

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
            ShortVector low = ShortVector.zero(SHORTS);
            ShortVector high = ShortVector.zero(SHORTS);
            for (int p = 0; p < BLOCK / 2; p++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, unit + NIBBLES + GROUP * p + lane,
                        LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                low = low.add(q.and((short) 0xF).mul(a[ai + p]));
                high = high.add(q.lanewise(VectorOperators.LSHR, 4).mul(a[ai + BLOCK / 2 + p]));
            }
            // Written out rather than through helpers: C2 stops inlining small helpers once this method is large,
            // and a vector returned from a call that was not inlined is boxed (several times slower).
            FloatVector offset = FloatVector.broadcast(BLOCK_FLOATS, -8f * sums[ai / BLOCK]);
            float scale = as[ai / BLOCK];
            FloatVector scales0 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
            FloatVector scales1 = FloatVector.fromMemorySegment(BLOCK_FLOATS, m, unit + 4L * (lane + HALF),
                    LITTLE_ENDIAN);
            acc0 = ((FloatVector) low.convert(VectorOperators.S2F, 0))
                    .add((FloatVector) high.convert(VectorOperators.S2F, 0))
                    .add(offset).fma(scales0.mul(scale), acc0);
            acc1 = ((FloatVector) low.convert(VectorOperators.S2F, 1))
                    .add((FloatVector) high.convert(VectorOperators.S2F, 1))
                    .add(offset).fma(scales1.mul(scale), acc1);
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
                FloatVector scales0 = scales(m, unit + 4L * lane);
                FloatVector scales1 = scales(m, unit + 4L * (lane + HALF));
                for (int p = 0; p < BLOCK / 2; p++) {
                    ShortVector q = VectorKernels.bytesAsUnsignedShorts(m, unit + NIBBLES + GROUP * p + lane);
                    int low = GROUP * (b * BLOCK + p) + lane;
                    storeScaled(q.and((short) 0xF).sub((short) 8), scales0, scales1, out, low);
                    storeScaled(q.lanewise(VectorOperators.LSHR, 4).sub((short) 8), scales0, scales1, out,
                            low + GROUP * BLOCK / 2);
                }
            }
        }
    }

    private static FloatVector scales(MemorySegment m, long offset) {
        return FloatVector.fromMemorySegment(BLOCK_FLOATS, m, offset, LITTLE_ENDIAN);
    }

    /** {@code codes} (one value of {@link #SL} rows) times those rows' scales, to {@code out[at ..]}. */
    static void storeScaled(ShortVector codes, FloatVector scales0, FloatVector scales1, float[] out,
            int at) {
        ((FloatVector) codes.convert(VectorOperators.S2F, 0)).mul(scales0).intoArray(out, at);
        ((FloatVector) codes.convert(VectorOperators.S2F, 1)).mul(scales1).intoArray(out, at + HALF);
    }
}
