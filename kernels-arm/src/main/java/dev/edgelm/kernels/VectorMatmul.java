package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FL;
import static dev.edgelm.kernels.VectorKernels.FLOATS;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import jdk.incubator.vector.FloatVector;

/**
 * The vector matrix-matrix product (prefill) as a float product on decoded weights, tiled in registers.
 *
 * <p>Without a dot-product instruction, the integer pipeline pays a widening, a multiply, a pair sum, a conversion
 * and a multiply-add per block and per column, however many columns share the block. Here each weight row is
 * instead decoded once to the floats its blocks stand for, and the activations come as the values their
 * quantized codes stand for (code times block scale, {@link QuantizedActivations#interleaved}), with the columns
 * interleaved so that one vector holds one value of {@link VectorKernels#FL} columns. A tile of
 * {@value #TILE_ROWS} rows by two such vectors keeps 12 accumulators in registers (with the two activation loads
 * and a broadcast weight, the 16 of AVX2; NEON has 32): per value of the row, two loads, six broadcasts and twelve
 * fused multiply-adds, with no horizontal sums at all. The exact sum is the one llama.cpp's integer products
 * compute; only float rounding differs.
 *
 * <p>Each output accumulates its products in order of the row's values in one lane, so its value does not depend
 * on the tile it falls in or on the row range a thread was given.
 */
final class VectorMatmul {

    /** Weight rows per tile. */
    static final int TILE_ROWS = 6;
    /**
     * Fewest columns for which this beats decode-then-dot: decoding a row to floats costs about as much as a few
     * integer dots of it.
     */
    static final int MIN_COLUMNS = 6;

    private static final int TILE_COLUMNS = 2 * FL;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorMatmul() {}

    /** Per thread: the decoded rows of one tile, and the tile's results before they are scattered to the output. */
    private static final class Scratch {
        float[] rows = new float[0];
        final float[] tile = new float[TILE_ROWS * TILE_COLUMNS];
        DecodedRow decoded;

        void prepare(WeightMatrix w) {
            decoded = DecodedRow.local(w);
            int length = Math.max(TILE_ROWS, w.layout().rowGroup()) * w.cols();
            if (rows.length < length) {
                rows = new float[length];
            }
        }
    }

    /**
     * {@code out[c * w.rows() + r]} for rows in [rowStart, rowEnd) and every column of {@code x}, which holds at
     * least {@link #MIN_COLUMNS} columns (so that its interleaved values exist).
     */
    static void multiply(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        Scratch scratch = SCRATCH.get();
        scratch.prepare(w);
        if (w.layout() == WeightLayout.INTERLEAVED_16) {
            multiplyInterleaved(w, x, out, rowStart, rowEnd, scratch);
            return;
        }
        float[] values = x.interleaved(Encoding.of(w.format()));
        int k = w.cols();
        for (int r0 = rowStart; r0 < rowEnd; r0 += TILE_ROWS) {
            int height = Math.min(TILE_ROWS, rowEnd - r0);
            for (int i = 0; i < height; i++) {
                VectorDecoders.decodeToFloats(w, r0 + i, scratch.decoded, scratch.rows, i * k);
            }
            tileRows(scratch, 0, k, 1, height, w, x, values, out, r0);
        }
    }

    /**
     * An interleaved matrix, a 16-row group at a time: the group is decoded with one value of its 16 rows per
     * vector (value j of row i at {@code 16 j + i}), which the tiles (6, 6 and 4 rows) read with a step of 16.
     * Decoding several groups side by side for whole tiles measured slower: the decoded rows outgrow the L2 cache.
     */
    private static void multiplyInterleaved(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart,
            int rowEnd, Scratch scratch) {
        float[] values = x.interleaved(Encoding.of(w.format()));
        int group = w.layout().rowGroup();
        for (int g = rowStart / group; g * group < rowEnd; g++) {
            InterleavedProducts.decodeGroup(w, g, scratch.rows);
            int first = g * group;
            int end = Math.min(first + group, rowEnd);
            for (int r0 = Math.max(first, rowStart); r0 < end; r0 += TILE_ROWS) {
                tileRows(scratch, r0 - first, 1, group, Math.min(TILE_ROWS, end - r0), w, x, values, out, r0);
            }
        }
    }

    /**
     * Offset of tile row {@code i} when value j of tile row i is at {@code first + i * rowStep + j * valueStep};
     * rows past the tile's height repeat its first row (and are dropped).
     */
    private static int rowOffset(int first, int rowStep, int height, int i) {
        return first + (i < height ? i * rowStep : 0);
    }

    /**
     * One tile of {@code height} rows, decoded in {@code scratch.rows} as {@link #rowOffset} describes, against
     * every column of {@code x}, scattered to rows {@code r0 ..} of {@code out}.
     */
    private static void tileRows(Scratch scratch, int first, int rowStep, int valueStep, int height, WeightMatrix w,
            QuantizedActivations x, float[] values, float[] out, int r0) {
        int stride = x.interleavedStride();
        for (int c0 = 0; c0 < stride; c0 += TILE_COLUMNS) {
            if (c0 + TILE_COLUMNS <= stride) {
                twoVectorTile(scratch.rows, first, rowStep, valueStep, height, w.cols(), values, stride, c0,
                        scratch.tile);
            } else {
                oneVectorTile(scratch.rows, first, rowStep, valueStep, height, w.cols(), values, stride, c0,
                        scratch.tile);
            }
            scatter(scratch.tile, height, Math.min(TILE_COLUMNS, x.columns() - c0), out, w.rows(), r0, c0);
        }
    }

    private static void twoVectorTile(float[] rows, int first, int rowStep, int step, int height, int k,
            float[] values, int stride, int c0, float[] results) {
        int w0 = rowOffset(first, rowStep, height, 0);
        int w1 = rowOffset(first, rowStep, height, 1);
        int w2 = rowOffset(first, rowStep, height, 2);
        int w3 = rowOffset(first, rowStep, height, 3);
        int w4 = rowOffset(first, rowStep, height, 4);
        int w5 = rowOffset(first, rowStep, height, 5);
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        FloatVector s4 = s0;
        FloatVector s5 = s0;
        FloatVector t0 = s0;
        FloatVector t1 = s0;
        FloatVector t2 = s0;
        FloatVector t3 = s0;
        FloatVector t4 = s0;
        FloatVector t5 = s0;
        for (int j = 0, at = c0, wj = 0; j < k; j++, at += stride, wj += step) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            FloatVector b = FloatVector.fromArray(FLOATS, values, at + FL);
            FloatVector v = FloatVector.broadcast(FLOATS, rows[w0 + wj]);
            s0 = a.fma(v, s0);
            t0 = b.fma(v, t0);
            v = FloatVector.broadcast(FLOATS, rows[w1 + wj]);
            s1 = a.fma(v, s1);
            t1 = b.fma(v, t1);
            v = FloatVector.broadcast(FLOATS, rows[w2 + wj]);
            s2 = a.fma(v, s2);
            t2 = b.fma(v, t2);
            v = FloatVector.broadcast(FLOATS, rows[w3 + wj]);
            s3 = a.fma(v, s3);
            t3 = b.fma(v, t3);
            v = FloatVector.broadcast(FLOATS, rows[w4 + wj]);
            s4 = a.fma(v, s4);
            t4 = b.fma(v, t4);
            v = FloatVector.broadcast(FLOATS, rows[w5 + wj]);
            s5 = a.fma(v, s5);
            t5 = b.fma(v, t5);
        }
        s0.intoArray(results, 0);
        t0.intoArray(results, FL);
        s1.intoArray(results, TILE_COLUMNS);
        t1.intoArray(results, TILE_COLUMNS + FL);
        s2.intoArray(results, 2 * TILE_COLUMNS);
        t2.intoArray(results, 2 * TILE_COLUMNS + FL);
        s3.intoArray(results, 3 * TILE_COLUMNS);
        t3.intoArray(results, 3 * TILE_COLUMNS + FL);
        s4.intoArray(results, 4 * TILE_COLUMNS);
        t4.intoArray(results, 4 * TILE_COLUMNS + FL);
        s5.intoArray(results, 5 * TILE_COLUMNS);
        t5.intoArray(results, 5 * TILE_COLUMNS + FL);
    }

    /** The last {@link VectorKernels#FL} columns when the column count rounds up to an odd number of vectors. */
    private static void oneVectorTile(float[] rows, int first, int rowStep, int step, int height, int k,
            float[] values, int stride, int c0, float[] results) {
        int w0 = rowOffset(first, rowStep, height, 0);
        int w1 = rowOffset(first, rowStep, height, 1);
        int w2 = rowOffset(first, rowStep, height, 2);
        int w3 = rowOffset(first, rowStep, height, 3);
        int w4 = rowOffset(first, rowStep, height, 4);
        int w5 = rowOffset(first, rowStep, height, 5);
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        FloatVector s4 = s0;
        FloatVector s5 = s0;
        for (int j = 0, at = c0, wj = 0; j < k; j++, at += stride, wj += step) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            s0 = a.fma(FloatVector.broadcast(FLOATS, rows[w0 + wj]), s0);
            s1 = a.fma(FloatVector.broadcast(FLOATS, rows[w1 + wj]), s1);
            s2 = a.fma(FloatVector.broadcast(FLOATS, rows[w2 + wj]), s2);
            s3 = a.fma(FloatVector.broadcast(FLOATS, rows[w3 + wj]), s3);
            s4 = a.fma(FloatVector.broadcast(FLOATS, rows[w4 + wj]), s4);
            s5 = a.fma(FloatVector.broadcast(FLOATS, rows[w5 + wj]), s5);
        }
        s0.intoArray(results, 0);
        s1.intoArray(results, TILE_COLUMNS);
        s2.intoArray(results, 2 * TILE_COLUMNS);
        s3.intoArray(results, 3 * TILE_COLUMNS);
        s4.intoArray(results, 4 * TILE_COLUMNS);
        s5.intoArray(results, 5 * TILE_COLUMNS);
    }

    /** Tile results (row i, column j at {@code tile[i * TILE_COLUMNS + j]}) to their places in {@code out}. */
    private static void scatter(float[] tile, int height, int width, float[] out, int rows, int r0, int c0) {
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                out[(c0 + j) * rows + r0 + i] = tile[i * TILE_COLUMNS + j];
            }
        }
    }
}
