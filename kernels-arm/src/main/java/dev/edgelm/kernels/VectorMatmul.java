package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FL;
import static dev.edgelm.kernels.VectorKernels.FLOATS;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The vector matrix-matrix product (prefill) as a float product on decoded weights, tiled in registers.
 *
 * <p>Without a dot-product instruction, the integer pipeline pays a widening, a multiply, a pair sum, a conversion
 * and a multiply-add per block and per column, however many columns share the block. Here each weight row is
 * instead decoded once to the floats its blocks stand for, and the activations come as the values their
 * quantized codes stand for (code times block scale, {@link QuantizedActivations#interleaved}), with the columns
 * interleaved so that one vector holds one value of {@link VectorKernels#FL} columns. A tile of
 * {@value #TILE_ROWS} rows by {@link #TILE_VECTORS} such vectors keeps its accumulators in registers: per value of
 * the row, one load per vector, six broadcasts and one fused multiply-add per accumulator, with no horizontal sums
 * at all. With 32 registers (AVX-512, NEON) the tile is four vectors wide, 24 accumulators: half the broadcasts and
 * loop overhead per multiply-add of a two-vector tile, which measured 15 to 35% faster alone at 512 bits, and faster
 * at 128 bits too (on AVX-512 hardware). AVX2's 16 registers hold only the two-vector tile (12 accumulators, two
 * loads and a broadcast weight). The exact sum is the one llama.cpp's integer products compute; only float rounding
 * differs.
 *
 * <p>The tiles run over the row's values in blocks of {@value #K_BLOCK}: all tiles of the decoded rows through one
 * block, then the next, with the partial sums kept in memory in between. A block's decoded rows (32 KB for a group)
 * then stay in the L1 cache for every column tile and its activations (128 KB for 64 columns) in L2 for every row
 * tile, where whole rows of activations (1.2 MB at 4864 values and 64 columns) came from L3 once per tile.
 *
 * <p>Each output accumulates its products in order of the row's values in one lane (a block resumes from the
 * partial sum the last one stored), so its value does not depend on the tile it falls in or on the row range a
 * thread was given.
 */
final class VectorMatmul {

    /** Weight rows per tile. */
    static final int TILE_ROWS = 6;
    /**
     * Fewest columns for which this beats decode-then-dot: decoding a row to floats costs about as much as a few
     * integer dots of it.
     */
    static final int MIN_COLUMNS = 6;

    /**
     * Column vectors of a full tile: four where there are 32 vector registers (AVX-512, and NEON at 128 bits), so
     * that 24 accumulators take six broadcasts and four loads per value of the row; two at 256 bits, whose AVX2
     * machines have 16 registers.
     */
    static final int TILE_VECTORS = KernelProvider.VECTOR_BITS == 256 ? 2 : 4;
    /**
     * Most rows decoded at a time: an interleaved group (16) rounded up to whole tiles, as a tile fills all its rows
     * of partial sums; as many rows of a matrix in the row layout.
     */
    private static final int BLOCK_ROWS = (WeightLayout.GROUP_ROWS + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
    /**
     * Row values per pass of the tiles. Measured at 512 bits on 4864 values, 256 to 768 ran alike, about a quarter
     * faster than whole rows.
     */
    static final int K_BLOCK = 512;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorMatmul() {}

    /**
     * Per thread: the rows decoded at a time (a group, or {@link #BLOCK_ROWS} rows of the row layout), and their
     * partial sums ({@code results[i * stride + c]} for row i and column c, the stride that of the interleaved
     * activations) until they are scattered to the output.
     */
    private static final class Scratch {
        float[] rows = new float[0];
        float[] results = new float[0];
        DecodedRow decoded;

        void prepare(WeightMatrix w, QuantizedActivations x) {
            decoded = DecodedRow.local(w);
            int length = BLOCK_ROWS * w.cols();
            if (rows.length < length) {
                rows = new float[length];
            }
            int sums = BLOCK_ROWS * x.interleavedStride();
            if (results.length < sums) {
                results = new float[sums];
            }
        }
    }

    /**
     * {@code out[c * w.rows() + r]} for rows in [rowStart, rowEnd) and every column of {@code x}, which holds at
     * least {@link #MIN_COLUMNS} columns (so that its interleaved values exist).
     */
    static void multiply(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        Scratch scratch = SCRATCH.get();
        scratch.prepare(w, x);
        if (w.layout() == WeightLayout.INTERLEAVED_16) {
            multiplyInterleaved(w, x, out, rowStart, rowEnd, scratch);
            return;
        }
        // As many rows at a time as an interleaved group's tiles hold, all sharing each block of activations.
        float[] values = x.interleaved(Encoding.of(w.format()));
        int k = w.cols();
        for (int r0 = rowStart; r0 < rowEnd; r0 += BLOCK_ROWS) {
            int height = Math.min(BLOCK_ROWS, rowEnd - r0);
            for (int i = 0; i < height; i++) {
                VectorDecoders.decodeToFloats(w, r0 + i, scratch.decoded, scratch.rows, i * k);
            }
            multiplyBlock(scratch, 0, k, 1, height, w, x, values, out, r0);
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
            int r0 = Math.max(first, rowStart);
            multiplyBlock(scratch, r0 - first, 1, group, end - r0, w, x, values, out, r0);
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
     * Rows {@code r0 ..} of {@code out}, {@code height} of them, decoded in {@code scratch.rows} (value j of row i at
     * {@code first + i * rowStep + j * valueStep}), against every column of {@code x}, a block of {@link #K_BLOCK}
     * values at a time: every tile through one block, then the next, the partial sums kept in
     * {@code scratch.results}. Each row tile runs full tiles of {@link #TILE_VECTORS} column vectors, then the columns
     * left in tiles of two vectors and of one.
     */
    private static void multiplyBlock(Scratch scratch, int first, int rowStep, int valueStep, int height,
            WeightMatrix w, QuantizedActivations x, float[] values, float[] out, int r0) {
        int stride = x.interleavedStride();
        int k = w.cols();
        float[] rows = scratch.rows;
        float[] results = scratch.results;
        Arrays.fill(results, 0, (height + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS * stride, 0f);
        for (int from = 0; from < k; from += K_BLOCK) {
            int to = Math.min(k, from + K_BLOCK);
            for (int i = 0; i < height; i += TILE_ROWS) {
                int tileFirst = first + i * rowStep;
                int tileHeight = Math.min(TILE_ROWS, height - i);
                for (int c0 = 0, vectors; c0 < stride; c0 += vectors * FL) {
                    int left = (stride - c0) / FL;
                    vectors = TILE_VECTORS == 4 && left >= 4 ? 4 : Math.min(left, 2);
                    int at = i * stride + c0;
                    switch (vectors) {
                        case 4 -> fourVectorTile(rows, tileFirst, rowStep, valueStep, tileHeight, from, to, values,
                                stride, c0, results, at);
                        case 2 -> twoVectorTile(rows, tileFirst, rowStep, valueStep, tileHeight, from, to, values,
                                stride, c0, results, at);
                        default -> oneVectorTile(rows, tileFirst, rowStep, valueStep, tileHeight, from, to, values,
                                stride, c0, results, at);
                    }
                }
            }
        }
        scatter(results, stride, height, x.columns(), out, w.rows(), r0);
    }

    /**
     * The full tile at 512 and 128 bits ({@link #TILE_VECTORS}): tile rows as {@link #rowOffset} describes, over
     * values [from, to) of the four column vectors from {@code column}, resuming from and storing back the partial
     * sums at {@code results[base + i * stride ..]} for tile row i. The three tiles are written out, one method
     * each, accumulators in locals: vectors kept in arrays, or handed to helpers that C2 does not inline in a method
     * this large, are boxed (several times slower).
     */
    private static void fourVectorTile(float[] rows, int first, int rowStep, int step, int height, int from,
            int to, float[] values, int stride, int column, float[] results, int base) {
        int w0 = rowOffset(first, rowStep, height, 0);
        int w1 = rowOffset(first, rowStep, height, 1);
        int w2 = rowOffset(first, rowStep, height, 2);
        int w3 = rowOffset(first, rowStep, height, 3);
        int w4 = rowOffset(first, rowStep, height, 4);
        int w5 = rowOffset(first, rowStep, height, 5);
        FloatVector a0 = FloatVector.fromArray(FLOATS, results, base);
        FloatVector a1 = FloatVector.fromArray(FLOATS, results, base + stride);
        FloatVector a2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride);
        FloatVector a3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride);
        FloatVector a4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride);
        FloatVector a5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride);
        FloatVector b0 = FloatVector.fromArray(FLOATS, results, base + FL);
        FloatVector b1 = FloatVector.fromArray(FLOATS, results, base + stride + FL);
        FloatVector b2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride + FL);
        FloatVector b3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride + FL);
        FloatVector b4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride + FL);
        FloatVector b5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride + FL);
        FloatVector c0 = FloatVector.fromArray(FLOATS, results, base + 2 * FL);
        FloatVector c1 = FloatVector.fromArray(FLOATS, results, base + stride + 2 * FL);
        FloatVector c2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride + 2 * FL);
        FloatVector c3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride + 2 * FL);
        FloatVector c4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride + 2 * FL);
        FloatVector c5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride + 2 * FL);
        FloatVector d0 = FloatVector.fromArray(FLOATS, results, base + 3 * FL);
        FloatVector d1 = FloatVector.fromArray(FLOATS, results, base + stride + 3 * FL);
        FloatVector d2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride + 3 * FL);
        FloatVector d3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride + 3 * FL);
        FloatVector d4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride + 3 * FL);
        FloatVector d5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride + 3 * FL);
        for (int j = from, at = column + from * stride, wj = from * step; j < to; j++, at += stride, wj += step) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            FloatVector b = FloatVector.fromArray(FLOATS, values, at + FL);
            FloatVector c = FloatVector.fromArray(FLOATS, values, at + 2 * FL);
            FloatVector d = FloatVector.fromArray(FLOATS, values, at + 3 * FL);
            FloatVector v = FloatVector.broadcast(FLOATS, rows[w0 + wj]);
            a0 = a.fma(v, a0);
            b0 = b.fma(v, b0);
            c0 = c.fma(v, c0);
            d0 = d.fma(v, d0);
            v = FloatVector.broadcast(FLOATS, rows[w1 + wj]);
            a1 = a.fma(v, a1);
            b1 = b.fma(v, b1);
            c1 = c.fma(v, c1);
            d1 = d.fma(v, d1);
            v = FloatVector.broadcast(FLOATS, rows[w2 + wj]);
            a2 = a.fma(v, a2);
            b2 = b.fma(v, b2);
            c2 = c.fma(v, c2);
            d2 = d.fma(v, d2);
            v = FloatVector.broadcast(FLOATS, rows[w3 + wj]);
            a3 = a.fma(v, a3);
            b3 = b.fma(v, b3);
            c3 = c.fma(v, c3);
            d3 = d.fma(v, d3);
            v = FloatVector.broadcast(FLOATS, rows[w4 + wj]);
            a4 = a.fma(v, a4);
            b4 = b.fma(v, b4);
            c4 = c.fma(v, c4);
            d4 = d.fma(v, d4);
            v = FloatVector.broadcast(FLOATS, rows[w5 + wj]);
            a5 = a.fma(v, a5);
            b5 = b.fma(v, b5);
            c5 = c.fma(v, c5);
            d5 = d.fma(v, d5);
        }
        a0.intoArray(results, base);
        b0.intoArray(results, base + FL);
        c0.intoArray(results, base + 2 * FL);
        d0.intoArray(results, base + 3 * FL);
        a1.intoArray(results, base + stride);
        b1.intoArray(results, base + stride + FL);
        c1.intoArray(results, base + stride + 2 * FL);
        d1.intoArray(results, base + stride + 3 * FL);
        a2.intoArray(results, base + 2 * stride);
        b2.intoArray(results, base + 2 * stride + FL);
        c2.intoArray(results, base + 2 * stride + 2 * FL);
        d2.intoArray(results, base + 2 * stride + 3 * FL);
        a3.intoArray(results, base + 3 * stride);
        b3.intoArray(results, base + 3 * stride + FL);
        c3.intoArray(results, base + 3 * stride + 2 * FL);
        d3.intoArray(results, base + 3 * stride + 3 * FL);
        a4.intoArray(results, base + 4 * stride);
        b4.intoArray(results, base + 4 * stride + FL);
        c4.intoArray(results, base + 4 * stride + 2 * FL);
        d4.intoArray(results, base + 4 * stride + 3 * FL);
        a5.intoArray(results, base + 5 * stride);
        b5.intoArray(results, base + 5 * stride + FL);
        c5.intoArray(results, base + 5 * stride + 2 * FL);
        d5.intoArray(results, base + 5 * stride + 3 * FL);
    }

    /** {@link #fourVectorTile} for two column vectors: the full tile at 256 bits, else two vectors left over. */
    private static void twoVectorTile(float[] rows, int first, int rowStep, int step, int height, int from,
            int to, float[] values, int stride, int column, float[] results, int base) {
        int w0 = rowOffset(first, rowStep, height, 0);
        int w1 = rowOffset(first, rowStep, height, 1);
        int w2 = rowOffset(first, rowStep, height, 2);
        int w3 = rowOffset(first, rowStep, height, 3);
        int w4 = rowOffset(first, rowStep, height, 4);
        int w5 = rowOffset(first, rowStep, height, 5);
        FloatVector s0 = FloatVector.fromArray(FLOATS, results, base);
        FloatVector s1 = FloatVector.fromArray(FLOATS, results, base + stride);
        FloatVector s2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride);
        FloatVector s3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride);
        FloatVector s4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride);
        FloatVector s5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride);
        FloatVector t0 = FloatVector.fromArray(FLOATS, results, base + FL);
        FloatVector t1 = FloatVector.fromArray(FLOATS, results, base + stride + FL);
        FloatVector t2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride + FL);
        FloatVector t3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride + FL);
        FloatVector t4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride + FL);
        FloatVector t5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride + FL);
        for (int j = from, at = column + from * stride, wj = from * step; j < to; j++, at += stride, wj += step) {
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
        s0.intoArray(results, base);
        t0.intoArray(results, base + FL);
        s1.intoArray(results, base + stride);
        t1.intoArray(results, base + stride + FL);
        s2.intoArray(results, base + 2 * stride);
        t2.intoArray(results, base + 2 * stride + FL);
        s3.intoArray(results, base + 3 * stride);
        t3.intoArray(results, base + 3 * stride + FL);
        s4.intoArray(results, base + 4 * stride);
        t4.intoArray(results, base + 4 * stride + FL);
        s5.intoArray(results, base + 5 * stride);
        t5.intoArray(results, base + 5 * stride + FL);
    }

    /** {@link #fourVectorTile} for the last column vector, when the column count rounds up to an odd number. */
    private static void oneVectorTile(float[] rows, int first, int rowStep, int step, int height, int from,
            int to, float[] values, int stride, int column, float[] results, int base) {
        int w0 = rowOffset(first, rowStep, height, 0);
        int w1 = rowOffset(first, rowStep, height, 1);
        int w2 = rowOffset(first, rowStep, height, 2);
        int w3 = rowOffset(first, rowStep, height, 3);
        int w4 = rowOffset(first, rowStep, height, 4);
        int w5 = rowOffset(first, rowStep, height, 5);
        FloatVector s0 = FloatVector.fromArray(FLOATS, results, base);
        FloatVector s1 = FloatVector.fromArray(FLOATS, results, base + stride);
        FloatVector s2 = FloatVector.fromArray(FLOATS, results, base + 2 * stride);
        FloatVector s3 = FloatVector.fromArray(FLOATS, results, base + 3 * stride);
        FloatVector s4 = FloatVector.fromArray(FLOATS, results, base + 4 * stride);
        FloatVector s5 = FloatVector.fromArray(FLOATS, results, base + 5 * stride);
        for (int j = from, at = column + from * stride, wj = from * step; j < to; j++, at += stride, wj += step) {
            FloatVector a = FloatVector.fromArray(FLOATS, values, at);
            s0 = a.fma(FloatVector.broadcast(FLOATS, rows[w0 + wj]), s0);
            s1 = a.fma(FloatVector.broadcast(FLOATS, rows[w1 + wj]), s1);
            s2 = a.fma(FloatVector.broadcast(FLOATS, rows[w2 + wj]), s2);
            s3 = a.fma(FloatVector.broadcast(FLOATS, rows[w3 + wj]), s3);
            s4 = a.fma(FloatVector.broadcast(FLOATS, rows[w4 + wj]), s4);
            s5 = a.fma(FloatVector.broadcast(FLOATS, rows[w5 + wj]), s5);
        }
        s0.intoArray(results, base);
        s1.intoArray(results, base + stride);
        s2.intoArray(results, base + 2 * stride);
        s3.intoArray(results, base + 3 * stride);
        s4.intoArray(results, base + 4 * stride);
        s5.intoArray(results, base + 5 * stride);
    }

    /** Partial sums (row i, column c at {@code results[i * stride + c]}) to their places in {@code out}. */
    private static void scatter(float[] results, int stride, int height, int columns, float[] out, int rows,
            int r0) {
        // Column by column, so that consecutive stores fill one cache line of the output.
        for (int c = 0; c < columns; c++) {
            int at = c * rows + r0;
            for (int i = 0; i < height; i++) {
                out[at + i] = results[i * stride + c];
            }
        }
    }
}
