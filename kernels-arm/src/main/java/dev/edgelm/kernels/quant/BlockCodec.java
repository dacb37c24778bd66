package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * The scalar reference encoder and decoder of one {@link BlockFormat}, row by row.
 *
 * <p>{@link #quantizeRow} reproduces llama.cpp's reference quantizer ({@code quantize_row_*_ref} in
 * {@code ggml-quants.c}, {@code ggml_fp32_to_fp16_row} and {@code ggml_fp32_to_bf16_row_ref} for the float
 * formats) byte for byte, and {@link #dequantizeRow} reproduces {@code dequantize_row_*} value for value.
 * Where ggml has no dequantizer (Q8_1), values are {@code q * d}, as for Q8_0. {@link Quantization} states the
 * limits of "byte for byte" (undefined C conversions, FMA contraction, NaN payloads). These are references,
 * written for clarity; they are what faster kernels are tested against.
 *
 * <p>{@link BlockFormat#I2_S} has one scale for the whole tensor, which a row cannot see: its rows encode the
 * signs only ({@code |x| < 1e-6} is 0, else the sign of x; NaN reads as negative, as in BitNet) and decode to
 * -1, 0 and +1, in units of that scale. {@link Quantization} handles whole tensors, scale included.
 *
 * <p>Implementations are stateless and safe to share between threads.
 */
public interface BlockCodec {

    /** The format this codec reads and writes. */
    BlockFormat format();

    /**
     * Encodes {@code n} values, {@code src[srcOffset .. srcOffset + n)}, into
     * {@code format().rowBytes(n)} bytes of {@code dst} starting at {@code dstOffset}.
     *
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
     * @throws IndexOutOfBoundsException if either range lies outside its array or segment
     */
    void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset);

    /**
     * Decodes {@code n} values from the row at {@code src + srcOffset} into
     * {@code dst[dstOffset .. dstOffset + n)}.
     *
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
     * @throws IndexOutOfBoundsException if either range lies outside its array or segment
     */
    void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    /** The reference codec of {@code format}. */
    static BlockCodec of(BlockFormat format) {
        return switch (format) {
            case F32 -> FloatCodec.F32;
            case F16 -> FloatCodec.F16;
            case BF16 -> FloatCodec.BF16;
            case Q4_0 -> Legacy32Codec.Q4_0;
            case Q4_1 -> Legacy32Codec.Q4_1;
            case Q5_0 -> Legacy32Codec.Q5_0;
            case Q5_1 -> Legacy32Codec.Q5_1;
            case Q8_0 -> Int8Codec.Q8_0;
            case Q8_1 -> Int8Codec.Q8_1;
            case Q4_K -> ScaleMinKCodec.Q4_K;
            case Q5_K -> ScaleMinKCodec.Q5_K;
            case Q6_K -> Q6KCodec.INSTANCE;
            case Q8_K -> Q8KCodec.INSTANCE;
            case TQ1_0 -> Tq1Codec.INSTANCE;
            case TQ2_0 -> Tq2Codec.INSTANCE;
            case I2_S -> I2sCodec.INSTANCE;
        };
    }
}
