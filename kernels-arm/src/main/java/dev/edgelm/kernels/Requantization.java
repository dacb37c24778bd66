package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.MemorySegment;

/**
 * Converts a weight matrix to another block format: its values as the reference dequantizer reads them, written by
 * the reference quantizer of the new format (llama.cpp's {@code quantize_row_*_ref}, {@link Quantization}), in
 * either layout. It makes a smaller copy of a matrix stored wide, such as the F16 output head of BitNet's I2_S files,
 * which is most of the bytes such a model reads per token.
 */
public final class Requantization {

    private static final int GROUP = WeightLayout.GROUP_ROWS;

    private Requantization() {}

    /**
     * Whether {@code w} can be requantized to {@code format} in {@code layout}: {@code w} is in the GGUF layout and
     * has no tensor trailer (I2_S's scale belongs to the whole tensor), {@code format} is a weight format that is
     * quantized block by block and whose blocks divide the rows, and {@code layout} holds the result.
     */
    public static boolean canRequantize(WeightMatrix w, BlockFormat format, WeightLayout layout) {
        return w.layout() == WeightLayout.ROWS && w.format().tensorTrailerBytes() == 0
                && format != BlockFormat.Q8_1 && format != BlockFormat.Q8_K && format.tensorTrailerBytes() == 0
                && w.cols() % format.blockSize() == 0 && layout.holds(format, w.rows());
    }

    /** Bytes {@code w} takes in {@code format} and {@code layout}. */
    public static long requantizedBytes(WeightMatrix w, BlockFormat format, WeightLayout layout) {
        return layout.weightBytes(format, w.rows(), w.cols());
    }

    /**
     * {@code w}'s values in {@code format} and {@code layout}, written to {@code target}, {@value #GROUP} rows at a time
     * on the threads of {@code pool} (the K-quant quantizers search for their scales, which takes a while for a
     * vocabulary-sized head).
     *
     * @throws IllegalArgumentException if {@code w} cannot be requantized so ({@link #canRequantize}) or
     *     {@code target} is smaller than {@link #requantizedBytes}
     */
    public static WeightMatrix requantize(WeightMatrix w, BlockFormat format, WeightLayout layout,
            MemorySegment target, ComputePool pool) {
        if (!canRequantize(w, format, layout)) {
            throw new IllegalArgumentException("cannot requantize a " + w.layout() + " " + w.format() + " matrix of "
                    + w.rows() + " x " + w.cols() + " to " + layout + " " + format);
        }
        long bytes = requantizedBytes(w, format, layout);
        if (target.byteSize() < bytes) {
            throw new IllegalArgumentException("requantizing needs " + bytes + " bytes, the target has "
                    + target.byteSize());
        }
        long rowBytes = format.rowBytes(w.cols());
        int groups = (w.rows() + GROUP - 1) / GROUP;
        pool.forEachChunk(groups, 1, (start, end) -> {
            for (int g = start; g < end; g++) {
                int first = g * GROUP;
                int rows = Math.min(GROUP, w.rows() - first);
                float[] values = Quantization.dequantize(w.format(),
                        w.data().asSlice(first * w.rowBytes(), rows * w.rowBytes()), rows, w.cols());
                if (layout == WeightLayout.ROWS) {
                    Quantization.quantize(format, values, w.cols(), target.asSlice(first * rowBytes, rows * rowBytes));
                } else {
                    // A group's units are contiguous in the interleaved layout: quantize its rows, then pack them.
                    MemorySegment group = MemorySegment.ofArray(new byte[(int) (GROUP * rowBytes)]);
                    Quantization.quantize(format, values, w.cols(), group);
                    WeightMatrix rowsOfGroup = new WeightMatrix(format, group, GROUP, w.cols());
                    long groupBytes = WeightLayout.INTERLEAVED_16.weightBytes(format, GROUP, w.cols());
                    RowInterleaving.interleave(rowsOfGroup, target.asSlice(g * groupBytes, groupBytes));
                }
            }
        });
        return new WeightMatrix(format, target, w.rows(), w.cols(), layout);
    }
}
