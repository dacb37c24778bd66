package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.KernelProvider;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.QuantizedActivations;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Shared set-up of the kernel benchmarks: width selection, random weights and activations. */
final class BenchSetup {

    private BenchSetup() {}

    /**
     * Selects the kernel width for this fork ({@code scalar}, {@code 128}, {@code 256}, {@code 512} or
     * {@code preferred}) and returns the kernels. JMH runs every parameter combination in its own fork, and the
     * kernels read the width once, so this must run before anything touches {@link Kernels}.
     */
    static Kernels kernels(String width) {
        switch (width) {
            case "preferred" -> System.clearProperty(KernelProvider.BITS_PROPERTY);
            case "scalar" -> System.setProperty(KernelProvider.BITS_PROPERTY, "0");
            default -> System.setProperty(KernelProvider.BITS_PROPERTY, width);
        }
        Kernels kernels = Kernels.get();
        String expected = System.getProperty(KernelProvider.BITS_PROPERTY);
        if (expected != null && kernels.vectorBits() != Integer.parseInt(expected)) {
            throw new IllegalStateException("kernels were chosen before the benchmark could select width " + width);
        }
        return kernels;
    }

    /** Parses "ROWSxCOLS". */
    static int[] shape(String shape) {
        String[] parts = shape.split("x");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    /** Random Gaussian weights quantized with the reference quantizer into off-heap memory (as if mapped). */
    static WeightMatrix weights(BlockFormat format, int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment data = Arena.global().allocate(format.tensorBytes(rows, cols), 64);
        float[] row = new float[cols];
        MemorySegment rowBytes = Arena.ofAuto().allocate(format.tensorBytes(1, cols));
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) random.nextGaussian();
            }
            // Row by row, so a 2560 x 6912 matrix never needs one huge float[].
            Quantization.quantize(format, row, cols, rowBytes);
            MemorySegment.copy(rowBytes, 0, data, r * format.rowBytes(cols), format.rowBytes(cols));
        }
        if (format == BlockFormat.I2_S) {
            data.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, rows * format.rowBytes(cols), 1f);
        }
        return new WeightMatrix(format, data, rows, cols);
    }

    static QuantizedActivations activations(int length, int columns, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[length * columns];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        QuantizedActivations activations = QuantizedActivations.allocate(length, columns);
        activations.quantize(x, 0, columns);
        return activations;
    }
}
