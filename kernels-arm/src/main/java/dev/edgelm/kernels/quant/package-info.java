/**
 * Block formats of quantized weights and activations, and their scalar reference codecs.
 *
 * <p>{@link dev.edgelm.kernels.quant.BlockFormat} describes the geometry of each format,
 * {@link dev.edgelm.kernels.quant.BlockCodec} encodes and decodes rows, and
 * {@link dev.edgelm.kernels.quant.Quantization} whole tensors (including BitNet I2_S's per-tensor scale).
 * {@link dev.edgelm.kernels.quant.HalfFloats} converts F16 and BF16.
 *
 * <p>The codecs reproduce llama.cpp's reference quantizers and dequantizers ({@code ggml-quants.c},
 * {@code ggml-impl.h}; checked against commit de3ff815) and microsoft/BitNet's I2_S
 * ({@code src/ggml-bitnet-mad.cpp}) bit for bit, within the limits stated on {@code Quantization}. They are
 * written for clarity, as the reference that vector kernels are tested against.
 */
package dev.edgelm.kernels.quant;
