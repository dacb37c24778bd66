package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * Whole-tensor quantization and dequantization with the reference codecs ({@link BlockCodec}), for every
 * {@link BlockFormat}. A tensor is {@code rows} rows of {@code rowLength} values, stored row after row with
 * no gaps, as in a GGUF file; {@link BlockFormat#I2_S} adds its per-tensor scale after the last row.
 *
 * <p>The bytes written are llama.cpp's (or, for I2_S, BitNet's) reference quantizer output for the same
 * values, and the values read back are its dequantizer's, bit for bit, as built for x86-64 without FMA
 * contraction. Three limits, all outside what C or IEEE 754 define:
 * <ul>
 *   <li>Where C leaves a float-to-integer conversion undefined (NaN, infinities, overflow), this follows
 *       x86-64 ({@code cvttss2si}, glibc's {@code lroundf}).
 *   <li>A C build that fuses multiply-adds (GCC's default with {@code -march} flags that enable FMA, and on
 *       aarch64) rounds the K-quant scale searches differently; compile ggml with {@code -ffp-contract=off} to
 *       compare.
 *   <li>NaN inputs match when they carry the default payload; IEEE 754 leaves open which payload survives an
 *       operation on two NaNs (C builds, and HotSpot's interpreter and JIT, differ), and the K-quants'
 *       {@code nearest_int} reads payload bits.
 * </ul>
 */
public final class Quantization {

    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Quantization() {}

    /**
     * Bytes a tensor of {@code rows} x {@code rowLength} values takes, trailer included (as ggml's
     * {@code ggml_nbytes}, with BitNet's I2_S rule {@code elements / 4 + 32}).
     *
     * @throws IllegalArgumentException as {@link BlockFormat#tensorBytes}
     */
    public static long tensorBytes(BlockFormat format, long rows, long rowLength) {
        return format.tensorBytes(rows, rowLength);
    }

    /**
     * Quantizes {@code values}, read as rows of {@code rowLength}, into the start of {@code dst}
     * ({@link #tensorBytes} bytes). For I2_S the scale is {@code max |x|} over the whole tensor, NaNs ignored,
     * and the 28 padding bytes after it are zeroed.
     *
     * @throws IllegalArgumentException if {@code rowLength} is not positive, {@code values} is not a whole
     *     number of rows, a row is not a whole number of blocks, or {@code dst} is too small
     */
    public static void quantize(BlockFormat format, float[] values, long rowLength, MemorySegment dst) {
        if (rowLength <= 0 || values.length % rowLength != 0) {
            throw new IllegalArgumentException(format + ": " + values.length
                    + " values do not make whole rows of " + rowLength);
        }
        long rows = values.length / rowLength;
        long bytes = format.tensorBytes(rows, rowLength);
        if (dst.byteSize() < bytes) {
            throw new IllegalArgumentException(format + ": destination holds " + dst.byteSize()
                    + " bytes, a " + rows + " x " + rowLength + " tensor needs " + bytes);
        }
        BlockCodec codec = BlockCodec.of(format);
        long rowBytes = format.rowBytes(rowLength);
        for (long row = 0; row < rows; row++) {
            codec.quantizeRow(values, (int) (row * rowLength), (int) rowLength, dst, row * rowBytes);
        }
        if (format == BlockFormat.I2_S && rows > 0) {
            long at = rows * rowBytes;
            dst.asSlice(at, format.tensorTrailerBytes()).fill((byte) 0);
            dst.set(LittleEndian.FLOAT, at, i2sScaleOf(values));
        }
    }

    /**
     * Dequantizes the {@code rows} x {@code rowLength} tensor at the start of {@code src} into a new array.
     *
     * @throws IllegalArgumentException if {@code rows} is negative, {@code rowLength} is not positive or not a
     *     whole number of blocks, the tensor does not fit in one array, or {@code src} is too small
     */
    public static float[] dequantize(BlockFormat format, MemorySegment src, long rows, long rowLength) {
        if (rowLength <= 0) {
            throw new IllegalArgumentException(format + ": row length must be positive, got " + rowLength);
        }
        long bytes = format.tensorBytes(rows, rowLength);
        if (rows > MAX_ARRAY / rowLength) {
            throw new IllegalArgumentException(format + ": a " + rows + " x " + rowLength
                    + " tensor has too many values for one float[]");
        }
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException(format + ": source holds " + src.byteSize()
                    + " bytes, a " + rows + " x " + rowLength + " tensor needs " + bytes);
        }
        float[] values = new float[(int) (rows * rowLength)];
        BlockCodec codec = BlockCodec.of(format);
        long rowBytes = format.rowBytes(rowLength);
        for (long row = 0; row < rows; row++) {
            codec.dequantizeRow(src, row * rowBytes, values, (int) (row * rowLength), (int) rowLength);
        }
        if (format == BlockFormat.I2_S && rows > 0) {
            float scale = i2sScale(src, rows, rowLength);
            for (int i = 0; i < values.length; i++) {
                values[i] = scale * values[i]; // BitNet's i2_scale * map2bit[code]
            }
        }
        return values;
    }

    /**
     * Dequantizes row {@code row} of the {@code rows} x {@code rowLength} tensor at the start of {@code tensor} into
     * {@code dst[dstOffset ..]}: an embedding lookup, which needs no copy of the rest (for I2_S, the per-tensor scale
     * after the last row is applied).
     *
     * @throws IllegalArgumentException if the shape is invalid for the format or {@code tensor} is too small
     * @throws IndexOutOfBoundsException if the row is out of range or {@code dst} too short
     */
    public static void dequantizeRow(BlockFormat format, MemorySegment tensor, long rows, long rowLength, long row,
            float[] dst, int dstOffset) {
        long bytes = format.tensorBytes(rows, rowLength);
        if (tensor.byteSize() < bytes) {
            throw new IllegalArgumentException(format + ": source holds " + tensor.byteSize()
                    + " bytes, a " + rows + " x " + rowLength + " tensor needs " + bytes);
        }
        java.util.Objects.checkIndex(row, rows);
        java.util.Objects.checkFromIndexSize(dstOffset, (int) rowLength, dst.length);
        BlockCodec.of(format).dequantizeRow(tensor, row * format.rowBytes(rowLength), dst, dstOffset,
                (int) rowLength);
        if (format == BlockFormat.I2_S) {
            float scale = i2sScale(tensor, rows, rowLength);
            for (int i = dstOffset; i < dstOffset + rowLength; i++) {
                dst[i] = scale * dst[i];
            }
        }
    }

    /**
     * The per-tensor scale of an I2_S tensor of {@code rows} x {@code rowLength} values at the start of
     * {@code src}: the float32 at byte {@code rows * rowLength / 4}.
     *
     * @throws IllegalArgumentException if the shape is invalid for I2_S or empty (no scale), or {@code src} is
     *     too small
     */
    public static float i2sScale(MemorySegment src, long rows, long rowLength) {
        long bytes = BlockFormat.I2_S.tensorBytes(rows, rowLength);
        if (bytes == 0) {
            throw new IllegalArgumentException("I2_S: an empty " + rows + " x " + rowLength + " tensor has no scale");
        }
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException("I2_S: source holds " + src.byteSize() + " bytes, a " + rows
                    + " x " + rowLength + " tensor needs " + bytes);
        }
        return src.get(LittleEndian.FLOAT, rows * BlockFormat.I2_S.rowBytes(rowLength));
    }

    /** BitNet's {@code max = fmax(max, fabs((double) x))}: exact in double, and fmax skips NaN. */
    private static float i2sScaleOf(float[] values) {
        double max = 0;
        for (float v : values) {
            double a = Math.abs((double) v);
            if (a > max) {
                max = a;
            }
        }
        return (float) max;
    }
}
