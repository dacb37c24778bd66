package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows} rows of {@code cols} values in one {@link BlockFormat}, stored row after row
 * at the start of {@code data} exactly as in a GGUF file (for {@link BlockFormat#I2_S}, with its per-tensor
 * scale after the last row). The segment is used in place: memory-mapped weights are never copied.
 *
 * @param format the encoding of every row
 * @param data the bytes; at least {@link BlockFormat#tensorBytes} of them
 * @param rows number of rows (outputs of a matrix-vector product)
 * @param cols values per row (inputs of a matrix-vector product)
 */
public record WeightMatrix(BlockFormat format, MemorySegment data, int rows, int cols) {

    /**
     * @throws IllegalArgumentException if the shape is not positive, a row is not a whole number of blocks, the
     *     format is an activation format (Q8_1, Q8_K), or {@code data} is too small
     */
    public WeightMatrix {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + " x " + cols);
        }
        if (format == BlockFormat.Q8_1 || format == BlockFormat.Q8_K) {
            throw new IllegalArgumentException(format + " is an activation format, not a weight format");
        }
        long bytes = format.tensorBytes(rows, cols);
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException(format + ": " + rows + " x " + cols + " needs " + bytes
                    + " bytes, the segment holds " + data.byteSize());
        }
    }

    /** Bytes between the starts of two consecutive rows. */
    public long rowBytes() {
        return format.rowBytes(cols);
    }

    /** Bytes of weights a full matrix-vector product reads (the trailer excluded). */
    public long weightBytes() {
        return rowBytes() * rows;
    }

    /** The per-tensor scale of an I2_S matrix; 1 for every other format, whose scales are in the blocks. */
    public float tensorScale() {
        return format == BlockFormat.I2_S ? Quantization.i2sScale(data, rows, cols) : 1f;
    }
}
