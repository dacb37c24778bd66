package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix of {@code rows} rows of {@code cols} values in one {@link BlockFormat}, at the start of
 * {@code data} in one {@link WeightLayout}: row after row exactly as in a GGUF file (for {@link BlockFormat#I2_S},
 * with its per-tensor scale after the last row), or interleaved for faster products ({@link RowInterleaving}). A
 * segment in the GGUF layout is used in place: memory-mapped weights are never copied.
 *
 * @param format the encoding of every row
 * @param data the bytes; at least {@link BlockFormat#tensorBytes} of them in the GGUF layout, and in the
 *     interleaved one its {@link WeightLayout} bytes and the same trailer
 * @param rows number of rows (outputs of a matrix-vector product)
 * @param cols values per row (inputs of a matrix-vector product)
 * @param layout the order of the blocks in {@code data}
 */
public record WeightMatrix(BlockFormat format, MemorySegment data, int rows, int cols, WeightLayout layout) {

    /**
     * @throws IllegalArgumentException if the shape is not positive, a row is not a whole number of blocks, the
     *     format is an activation format (Q8_1, Q8_K), the layout does not hold this format or row count, or
     *     {@code data} is too small
     */
    public WeightMatrix {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + " x " + cols);
        }
        if (format == BlockFormat.Q8_1 || format == BlockFormat.Q8_K) {
            throw new IllegalArgumentException(format + " is an activation format, not a weight format");
        }
        Objects.requireNonNull(layout, "layout");
        if (!layout.holds(format, rows)) {
            throw new IllegalArgumentException(layout + " does not hold " + format + " with " + rows + " rows");
        }
        long bytes = layout == WeightLayout.ROWS ? format.tensorBytes(rows, cols)
                : layout.weightBytes(format, rows, cols) + format.tensorTrailerBytes();
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException(format + ": " + rows + " x " + cols + " needs " + bytes
                    + " bytes, the segment holds " + data.byteSize());
        }
    }

    /** A matrix in the GGUF layout ({@link WeightLayout#ROWS}). */
    public WeightMatrix(BlockFormat format, MemorySegment data, int rows, int cols) {
        this(format, data, rows, cols, WeightLayout.ROWS);
    }

    /** Bytes of one row in the GGUF layout: the distance between the starts of two rows there. */
    public long rowBytes() {
        return format.rowBytes(cols);
    }

    /** Bytes of weights a full matrix-vector product reads (the trailer excluded), in this matrix's layout. */
    public long weightBytes() {
        return layout.weightBytes(format, rows, cols);
    }

    /** The per-tensor scale of an I2_S matrix; 1 for every other format, whose scales are in the blocks. */
    public float tensorScale() {
        return format == BlockFormat.I2_S ? Quantization.i2sScale(data, rows, cols) : 1f;
    }
}
