package dev.edgelm.kernels;

import static dev.edgelm.kernels.FullWidth.BYTES;
import static dev.edgelm.kernels.FullWidth.FLOATS;
import static dev.edgelm.kernels.FullWidth.INTS;
import static dev.edgelm.kernels.FullWidth.ROWS;
import static dev.edgelm.kernels.FullWidth.ROW_STEP;
import static dev.edgelm.kernels.FullWidth.SHORTS;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Vector products of the interleaved ternary formats: TQ2_0 and TQ1_0 in {@link Tq2Units} (TQ1_0 is repacked into
 * them, {@link Tq1Units}), with Q8_K activations, and I2_S in {@link I2sUnits}, with Q8_0 activations.
 *
 * <p>A chunk of a unit, loaded and widened, holds two code bytes of {@code ROWS} rows, a row's two bytes in
 * adjacent 16-bit lanes; each of a byte's four 2-bit fields is multiplied, as stored (c = t + 1 in [0, 2]), by a
 * broadcast pair of activation codes (the two values the row's two bytes hold in that field) and added to that
 * field's 16-bit sum. Fields 1 and 2 are masked where they stand rather than shifted down, so their products come
 * out 4 and 16 times too large; their sums are shifted back, field 2's every 8 chunks, within the bounds of 16 bits.
 * The 1 is taken out through the activation block sums, in integers. Each row's pair of lanes
 * is then added into one 32-bit lane, converted to float (exact: far below 2^24) and multiply-added with the
 * scales. No lane ever needs a horizontal sum.
 *
 * <p>The two unit kinds differ in three places, each decided by a test that does not change within a product:
 * <ul>
 *   <li>TQ2_0 units cover 256 values (32 chunks: two halves of 128), I2_S units 128 (16 chunks).
 *   <li>Within a half, field n holds values 32n + 2k + e of chunk k (TQ2_0) or 32(3 - n) + 2k + e (I2_S).
 *   <li>TQ2_0's four field sums make one integer per block, scaled by the rows' F32 scales from the unit times the
 *       Q8_K scale; each I2_S field is one Q8_0 block, scaled by its own activation scale, and the tensor scale
 *       multiplies the result once.
 * </ul>
 * Every code c is read as c - 1. Code 3, which no quantizer writes (TQ2_0's llama.cpp reads it as 2, I2_S's means
 * 0), is not in these units: a matrix holding it is not interleaved ({@link TernaryCodes}). Clearing it here took
 * three more operations per chunk and vector and measured a fifth slower, and the field sums' bounds assume codes up
 * to 2.
 *
 * <p>Like the other full-width kernels ({@link FullWidth}), this one runs at the configured width, up to 512 bits,
 * and the loop is bound by vector operations (13 per chunk and vector: a widening load, a shift, three masks, four multiplies and
 * four adds; 15, with a shift for each field, measured 8 to 10% slower at 512 bits), so on one core it ran about
 * twice as fast at 512 bits as at 256, and 256 twice 128.
 * Two vectors of rows go through the loop together and share the four activation broadcasts of each chunk (a third
 * and fourth vector measured no faster).
 */
final class InterleavedTq2 {

    private static final int GROUP = WeightLayout.GROUP_ROWS;
    /** Values per half of a TQ2_0 unit, and per I2_S unit. */
    private static final int HALF = 128;
    /** Values per Q8_0 activation block: one field of an I2_S byte. */
    private static final int Q8_BLOCK = QuantizedActivations.Q8_BLOCK;
    private static final int CHUNK = Tq2Units.CHUNK;
    /** Chunks per half: two code bytes of each row per chunk. */
    private static final int HALF_CHUNKS = 16;
    /** The 2-bit field mask and the code offset, hoisted: a scalar operand is broadcast again at every use. */
    private static final ShortVector THREES = ShortVector.broadcast(SHORTS, (short) 3);
    private static final ShortVector ONES = ShortVector.broadcast(SHORTS, (short) 1);
    /** Fields 1 and 2 of a code byte, masked where they stand. */
    private static final ShortVector FIELD_1 = ShortVector.broadcast(SHORTS, (short) (3 << 2));
    private static final ShortVector FIELD_2 = ShortVector.broadcast(SHORTS, (short) (3 << 4));
    /** Chunks whose field-2 products, 16 times too large, a 16-bit sum can take: 8 x 16 x 2 x 127 = 32512. */
    private static final int FIELD_2_CHUNKS = 8;
    /** Two adjacent activation codes, read as one 32-bit value: lane 2i gets the first, lane 2i + 1 the second. */
    private static final ValueLayout.OfInt PAIR = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LITTLE_ENDIAN);
    /** Even lanes (each row's first byte) then odd lanes (its second), for the decoded floats' row order. */
    private static final VectorShuffle<Short> BYTE_ORDER =
            VectorShuffle.fromOp(SHORTS, l -> l < ROWS ? 2 * l : 2 * (l - ROWS) + 1);

    private InterleavedTq2() {}

    /**
     * {@code out[outOffset + r]} = row r of {@code w} (TQ1_0, TQ2_0 or I2_S) dotted with activation column
     * {@code column}, for rows in [rowStart, rowEnd). Whole vectors of rows are computed, two at a time; lanes
     * outside the range are dropped.
     */
    static void matvec(WeightMatrix w, QuantizedActivations x, int column, float[] out, int outOffset,
            int rowStart, int rowEnd) {
        MemorySegment m = w.data();
        boolean i2s = w.format() == BlockFormat.I2_S;
        int blocks = w.cols() / w.format().blockSize();
        int base = column * w.cols();
        float tensorScale = w.tensorScale();
        for (int first = rowStart - rowStart % ROWS; first < rowEnd; first += ROW_STEP) {
            // Past the last row, the second vector repeats the first (its lanes are dropped).
            int second = first + ROWS < w.rows() ? first + ROWS : first;
            rows(m, RowInterleaving.unitOffset(w, first / GROUP, 0), first % GROUP,
                    RowInterleaving.unitOffset(w, second / GROUP, 0), second % GROUP, blocks, i2s,
                    i2s ? x.q8CodeMemory : x.qkCodeMemory, i2s ? x.q8Scales : x.qkScales,
                    i2s ? x.q8Sums : x.qkSums256, base, tensorScale, out, outOffset + first,
                    Math.max(rowStart - first, 0), Math.min(rowEnd - first, 2 * ROWS));
        }
    }

    /**
     * The dot products of two vectors of {@code ROWS} rows, from row {@code lane0} of the group whose units start
     * at {@code units0} and from row {@code lane1} of that at {@code units1}, written to {@code out[at + i]} for
     * lanes i in [from, to) (the second vector's lanes follow the first's). The two share the activation broadcasts.
     * {@code a}, {@code as} and {@code sums} are the activation codes, scales and code sums (Q8_0 per 32 values for
     * I2_S, Q8_K per 256 otherwise).
     *
     * <p>Bounds (codes up to 2, activation codes in [-127, 127]): a field's 16-bit lane gets one product per chunk,
     * 32 per TQ2_0 block, each at most 2 x 127 = 254 in magnitude: 8128, and 32512 for field 1, 4 times too large,
     * and for TQ2_0's four fields added before their pairs of lanes are. Field 2's products, 16 times too large, are
     * moved out every 8 chunks: 32512 again. I2_S blocks have 16 chunks: less.
     */
    private static void rows(MemorySegment m, long units0, int lane0, long units1, int lane1, int blocks,
            boolean i2s, MemorySegment a, float[] as, int[] sums, int base, float tensorScale, float[] out, int at,
            int from, int to) {
        int unitBytes = i2s ? I2sUnits.UNIT_BYTES : Tq2Units.UNIT_BYTES;
        int codes = i2s ? 0 : Tq2Units.CODES;
        int chunks = i2s ? HALF_CHUNKS : 2 * HALF_CHUNKS;
        int blockValues = i2s ? HALF : 2 * HALF;
        // Byte offsets of the activation codes of fields 0 to 3 within a half (2 bytes per code).
        int f0 = i2s ? 6 * Q8_BLOCK : 0;
        int f1 = i2s ? 4 * Q8_BLOCK : 2 * Q8_BLOCK;
        int f2 = i2s ? 2 * Q8_BLOCK : 4 * Q8_BLOCK;
        int f3 = i2s ? 0 : 6 * Q8_BLOCK;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long unit0 = units0 + (long) b * unitBytes;
            long unit1 = units1 + (long) b * unitBytes;
            long codes0 = unit0 + codes + 2L * lane0;
            long codes1 = unit1 + codes + 2L * lane1;
            int ai = base + b * blockValues;
            ShortVector p00 = ShortVector.zero(SHORTS);
            ShortVector p01 = ShortVector.zero(SHORTS);
            ShortVector p02 = ShortVector.zero(SHORTS);
            ShortVector p03 = ShortVector.zero(SHORTS);
            ShortVector p10 = ShortVector.zero(SHORTS);
            ShortVector p11 = ShortVector.zero(SHORTS);
            ShortVector p12 = ShortVector.zero(SHORTS);
            ShortVector p13 = ShortVector.zero(SHORTS);
            // Field 2's products times 16 (its bits masked in place), moved into p02 and p12 every 8 chunks.
            ShortVector t02 = ShortVector.zero(SHORTS);
            ShortVector t12 = ShortVector.zero(SHORTS);
            for (int k = 0; k < chunks; k++) {
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, codes0 + (long) CHUNK * k,
                        LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, codes1 + (long) CHUNK * k,
                        LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
                // Bytes 2k and 2k + 1 of the block, in half h = k / 16 at k' = k % 16: values 128h + 2k' + e plus
                // the field's offset (byte offsets: 2 per code).
                long aj = 2L * (ai + 8 * (k & 16) + 2 * (k & 15));
                // Written out rather than through helpers: C2 stops inlining small helpers once this method is
                // large, and a vector passed to a call that was not inlined is boxed (several times slower).
                ShortVector a0 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + f0))
                        .reinterpretShape(SHORTS, 0);
                ShortVector a1 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + f1))
                        .reinterpretShape(SHORTS, 0);
                ShortVector a2 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + f2))
                        .reinterpretShape(SHORTS, 0);
                ShortVector a3 = (ShortVector) IntVector.broadcast(INTS, a.get(PAIR, aj + f3))
                        .reinterpretShape(SHORTS, 0);
                // Fields 1 and 2 are masked where they stand, not shifted down: their products come out 4 and 16
                // times too large, which the bounds allow, and one shift per field and block undoes.
                p00 = q0.and(THREES).mul(a0).add(p00);
                p01 = q0.and(FIELD_1).mul(a1).add(p01);
                t02 = q0.and(FIELD_2).mul(a2).add(t02);
                p03 = q0.lanewise(VectorOperators.LSHR, 6).mul(a3).add(p03);
                p10 = q1.and(THREES).mul(a0).add(p10);
                p11 = q1.and(FIELD_1).mul(a1).add(p11);
                t12 = q1.and(FIELD_2).mul(a2).add(t12);
                p13 = q1.lanewise(VectorOperators.LSHR, 6).mul(a3).add(p13);
                if ((k & FIELD_2_CHUNKS - 1) == FIELD_2_CHUNKS - 1) {
                    p02 = t02.lanewise(VectorOperators.ASHR, 4).add(p02);
                    p12 = t12.lanewise(VectorOperators.ASHR, 4).add(p12);
                    t02 = ShortVector.zero(SHORTS);
                    t12 = ShortVector.zero(SHORTS);
                }
            }
            p01 = p01.lanewise(VectorOperators.ASHR, 2);
            p11 = p11.lanewise(VectorOperators.ASHR, 2);
            if (i2s) {
                // Each row's two lanes into one 32-bit lane: the low lane sign-extended, plus the high one.
                IntVector s00 = (IntVector) p00.reinterpretShape(INTS, 0);
                IntVector s01 = (IntVector) p01.reinterpretShape(INTS, 0);
                IntVector s02 = (IntVector) p02.reinterpretShape(INTS, 0);
                IntVector s03 = (IntVector) p03.reinterpretShape(INTS, 0);
                IntVector s10 = (IntVector) p10.reinterpretShape(INTS, 0);
                IntVector s11 = (IntVector) p11.reinterpretShape(INTS, 0);
                IntVector s12 = (IntVector) p12.reinterpretShape(INTS, 0);
                IntVector s13 = (IntVector) p13.reinterpretShape(INTS, 0);
                s00 = s00.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s00.lanewise(VectorOperators.ASHR, 16));
                s01 = s01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s01.lanewise(VectorOperators.ASHR, 16));
                s02 = s02.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s02.lanewise(VectorOperators.ASHR, 16));
                s03 = s03.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s03.lanewise(VectorOperators.ASHR, 16));
                s10 = s10.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s10.lanewise(VectorOperators.ASHR, 16));
                s11 = s11.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s11.lanewise(VectorOperators.ASHR, 16));
                s12 = s12.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s12.lanewise(VectorOperators.ASHR, 16));
                s13 = s13.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s13.lanewise(VectorOperators.ASHR, 16));
                // Field n is Q8_0 block 3 - n of the unit: minus its code sum (the 1 of every code, exactly), times
                // its scale.
                int s = ai / Q8_BLOCK;
                FloatVector d0 = FloatVector.broadcast(FLOATS, as[s + 3]);
                FloatVector d1 = FloatVector.broadcast(FLOATS, as[s + 2]);
                FloatVector d2 = FloatVector.broadcast(FLOATS, as[s + 1]);
                FloatVector d3 = FloatVector.broadcast(FLOATS, as[s]);
                acc0 = d0.fma(s00.sub(sums[s + 3]).convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc0 = d1.fma(s01.sub(sums[s + 2]).convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc0 = d2.fma(s02.sub(sums[s + 1]).convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc0 = d3.fma(s03.sub(sums[s]).convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc1 = d0.fma(s10.sub(sums[s + 3]).convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
                acc1 = d1.fma(s11.sub(sums[s + 2]).convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
                acc1 = d2.fma(s12.sub(sums[s + 1]).convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
                acc1 = d3.fma(s13.sub(sums[s]).convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
            } else {
                // The four fields make one integer per row (in 16 bits: at most 4 x 32 x 2 x 127), then each row's
                // two lanes one 32-bit lane: the low lane sign-extended, plus the high one. Minus the activation
                // block sum (the 1 of every code, exactly), times the row's scale and the activation scale.
                IntVector s0 = (IntVector) p00.add(p01).add(p02).add(p03).reinterpretShape(INTS, 0);
                IntVector s1 = (IntVector) p10.add(p11).add(p12).add(p13).reinterpretShape(INTS, 0);
                s0 = s0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s0.lanewise(VectorOperators.ASHR, 16));
                s1 = s1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s1.lanewise(VectorOperators.ASHR, 16));
                int s = ai / blockValues;
                FloatVector scales0 = FloatVector.fromMemorySegment(FLOATS, m, unit0 + 4L * lane0, LITTLE_ENDIAN);
                FloatVector scales1 = FloatVector.fromMemorySegment(FLOATS, m, unit1 + 4L * lane1, LITTLE_ENDIAN);
                acc0 = scales0.mul(as[s]).fma(s0.sub(sums[s]).convertShape(VectorOperators.I2F, FLOATS, 0), acc0);
                acc1 = scales1.mul(as[s]).fma(s1.sub(sums[s]).convertShape(VectorOperators.I2F, FLOATS, 0), acc1);
            }
        }
        if (i2s) {
            FloatVector scale = FloatVector.broadcast(FLOATS, tensorScale);
            acc0 = scale.mul(acc0);
            acc1 = scale.mul(acc1);
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
        boolean i2s = w.format() == BlockFormat.I2_S;
        int blockValues = w.format().blockSize();
        int codes = i2s ? 0 : Tq2Units.CODES;
        FloatVector tensorScale = FloatVector.broadcast(FLOATS, w.tensorScale());
        for (int b = 0; b < w.cols() / blockValues; b++) {
            long unit = RowInterleaving.unitOffset(w, group, b);
            for (int lane = 0; lane < GROUP; lane += ROWS) {
                FloatVector scales = i2s ? tensorScale
                        : FloatVector.fromMemorySegment(FLOATS, m, unit + 4L * lane, LITTLE_ENDIAN);
                // Two code bytes of each row per chunk, four values per byte.
                for (int k = 0; k < blockValues / 8; k++) {
                    // The rows' first bytes to the low half of the lanes, their second bytes to the high half.
                    ShortVector q = ((ShortVector) ByteVector.fromMemorySegment(BYTES, m,
                            unit + codes + (long) CHUNK * k + 2L * lane, LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0)).rearrange(BYTE_ORDER);
                    int first = GROUP * (b * blockValues + 8 * (k & 16) + 2 * (k & 15)) + lane;
                    for (int n = 0; n < 4; n++) {
                        ShortVector t = q.lanewise(VectorOperators.LSHR, 2 * n).and(THREES).sub(ONES);
                        int at = first + GROUP * Q8_BLOCK * (i2s ? 3 - n : n);
                        ((FloatVector) t.convertShape(VectorOperators.S2F, FLOATS, 0)).mul(scales).intoArray(out, at);
                        ((FloatVector) t.convertShape(VectorOperators.S2F, FLOATS, 1)).mul(scales)
                                .intoArray(out, at + GROUP);
                    }
                }
            }
        }
    }
}
