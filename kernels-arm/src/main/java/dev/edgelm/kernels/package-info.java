/**
 * EdgeLM's numeric kernels: quantized matrix products and the float operations of a transformer layer, over
 * memory segments and shapes (no files, no models).
 *
 * <p>Entry points: {@link dev.edgelm.kernels.Kernels#get()} (the implementation chosen once at start-up by
 * {@link dev.edgelm.kernels.KernelProvider}: the scalar reference {@link dev.edgelm.kernels.ScalarKernels}, or
 * Vector API kernels at 128 bits on aarch64, the preferred width elsewhere, {@code -Dedgelm.vector.bits} to
 * override), {@link dev.edgelm.kernels.WeightMatrix} (weights in any {@link dev.edgelm.kernels.quant.BlockFormat},
 * used in place), {@link dev.edgelm.kernels.QuantizedActivations} (inputs quantized once and shared by every
 * matrix that reads them) and {@link dev.edgelm.kernels.ComputePool} (persistent threads for all parallel work).
 *
 * <p>A decode step quantizes the normed hidden state once, then runs Q, K and V (or gate and up) through
 * {@code pool.matvec(kernels, w, x, out)}; prefill quantizes B positions into one
 * {@code QuantizedActivations} and calls {@code pool.matmul}, which reads each weight row once for all B.
 */
package dev.edgelm.kernels;
