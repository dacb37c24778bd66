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
            if (rows.length < TILE_ROWS * w.cols()) {
                rows = new float[TILE_ROWS * w.cols()];
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
        float[] values = x.interleaved(Encoding.of(w.format()));
        int stride = x.interleavedStride();
        int k = w.cols();
        for (int r0 = rowStart; r0 < rowEnd; r0 += TILE_ROWS) {
            int height = Math.min(TILE_ROWS, rowEnd - r0);
            for (int i = 0; i < height; i++) {
                VectorDecoders.decodeToFloats(w, r0 + i, scratch.decoded, scratch.rows, i * k);
            }
            for (int c0 = 0; c0 < stride; c0 += TILE_COLUMNS) {
                if (c0 + TILE_COLUMNS <= stride) {
                    twoVectorTile(scratch.rows, height, k, values, stride, c0, scratch.tile);
                } else {
                    oneVectorTile(scratch.rows, height, k, values, stride, c0, scratch.tile);
                }
                scatter(scratch.tile, height, Math.min(TILE_COLUMNS, x.columns() - c0), out, w.rows(), r0, c0);
            }
        }
    }

    /** Offset of tile row {@code i} in the decoded rows; rows past the tile's height repeat row 0 (and are dropped). */
    private static int rowOffset(int i, int height, int k) {
        return i < height ? i * k : 0;
    }

    private static void twoVectorTile(float[] rows, int height, int k, float[] values, int stride, int c0,
            float[] tile) {
        int w0 = rowOffset(0, height, k);
        int w1 = rowOffset(1, height, k);
        int w2 = rowOffset(2, height, k);
        int w3 = rowOffset(3, height, k);
        int w4 = rowOffset(4, height, k);
        int w5 = rowOffset(5, height, k);
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
        for (int j = 0, at = c0; j < k; j++, at += stride) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            FloatVector b = FloatVector.fromArray(FLOATS, values, at + FL);
            FloatVector v = FloatVector.broadcast(FLOATS, rows[w0 + j]);
            s0 = a.fma(v, s0);
            t0 = b.fma(v, t0);
            v = FloatVector.broadcast(FLOATS, rows[w1 + j]);
            s1 = a.fma(v, s1);
            t1 = b.fma(v, t1);
            v = FloatVector.broadcast(FLOATS, rows[w2 + j]);
            s2 = a.fma(v, s2);
            t2 = b.fma(v, t2);
            v = FloatVector.broadcast(FLOATS, rows[w3 + j]);
            s3 = a.fma(v, s3);
            t3 = b.fma(v, t3);
            v = FloatVector.broadcast(FLOATS, rows[w4 + j]);
            s4 = a.fma(v, s4);
            t4 = b.fma(v, t4);
            v = FloatVector.broadcast(FLOATS, rows[w5 + j]);
            s5 = a.fma(v, s5);
            t5 = b.fma(v, t5);
        }
        s0.intoArray(tile, 0);
        t0.intoArray(tile, FL);
        s1.intoArray(tile, TILE_COLUMNS);
        t1.intoArray(tile, TILE_COLUMNS + FL);
        s2.intoArray(tile, 2 * TILE_COLUMNS);
        t2.intoArray(tile, 2 * TILE_COLUMNS + FL);
        s3.intoArray(tile, 3 * TILE_COLUMNS);
        t3.intoArray(tile, 3 * TILE_COLUMNS + FL);
        s4.intoArray(tile, 4 * TILE_COLUMNS);
        t4.intoArray(tile, 4 * TILE_COLUMNS + FL);
        s5.intoArray(tile, 5 * TILE_COLUMNS);
        t5.intoArray(tile, 5 * TILE_COLUMNS + FL);
    }

    /** The last {@link VectorKernels#FL} columns when the column count rounds up to an odd number of vectors. */
    private static void oneVectorTile(float[] rows, int height, int k, float[] values, int stride, int c0,
            float[] tile) {
        int w0 = rowOffset(0, height, k);
        int w1 = rowOffset(1, height, k);
        int w2 = rowOffset(2, height, k);
        int w3 = rowOffset(3, height, k);
        int w4 = rowOffset(4, height, k);
        int w5 = rowOffset(5, height, k);
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        FloatVector s4 = s0;
        FloatVector s5 = s0;
        for (int j = 0, at = c0; j < k; j++, at += stride) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            s0 = a.fma(FloatVector.broadcast(FLOATS, rows[w0 + j]), s0);
            s1 = a.fma(FloatVector.broadcast(FLOATS, rows[w1 + j]), s1);
            s2 = a.fma(FloatVector.broadcast(FLOATS, rows[w2 + j]), s2);
            s3 = a.fma(FloatVector.broadcast(FLOATS, rows[w3 + j]), s3);
            s4 = a.fma(FloatVector.broadcast(FLOATS, rows[w4 + j]), s4);
            s5 = a.fma(FloatVector.broadcast(FLOATS, rows[w5 + j]), s5);
        }
        s0.intoArray(tile, 0);
        s1.intoArray(tile, TILE_COLUMNS);
        s2.intoArray(tile, 2 * TILE_COLUMNS);
        s3.intoArray(tile, 3 * TILE_COLUMNS);
        s4.intoArray(tile, 4 * TILE_COLUMNS);
        s5.intoArray(tile, 5 * TILE_COLUMNS);
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
