package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.QuantizedActivations;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the heap bytes one matrix-vector product allocates once C2 has compiled it, for each format named, in the
 * order named, in this JVM: {@code FORMAT bytes-per-matvec N}, after a {@code control} line measured the same way
 * around a loop that allocates one {@code float[64]} per call (so a reader can tell the meter works). The vector kernels should allocate nothing; a kernel
 * whose vectors C2 could not keep in registers allocates a box per vector operation (kilobytes per product).
 *
 * <p>Why the order matters: the Vector API's generic methods ({@code IntVector.add}, {@code FloatVector.fma},
 * {@code intoArray}) dispatch on the vector's class inside the library, where C2 goes by a type profile that every
 * caller in the process shares. Each kernel that runs first adds its vector shapes to those profiles, and a kernel
 * compiled after them may see two shapes of one lane type where it uses one, and box its loop-carried vectors. Run
 * it in a fresh JVM with {@code -Xbatch}, so that each kernel is compiled where the loop below warms it up:
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -Xbatch [-Dedgelm.vector.bits=128] \
 *   -cp testbench/target/testbench.jar dev.edgelm.testbench.bench.KernelAllocationProbe Q4_1,F16,Q5_0,Q6_K
 * }</pre>
 */
public final class KernelAllocationProbe {

    private static final int ROWS = 64;
    private static final int COLS = 2048;
    /** Products before measuring: far past C2's compile threshold, so that the measured ones run compiled code. */
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 1_000;

    /** Where the control loop's arrays go, so that C2 cannot drop the allocation. */
    private static volatile float[] sink;

    private KernelAllocationProbe() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: KernelAllocationProbe FORMAT[,FORMAT...]   (block formats, e.g. Q4_0,Q6_K,F16)");
            System.exit(2);
        }
        Kernels kernels = Kernels.get();
        System.out.println("kernels " + kernels.name());
        System.out.printf(Locale.ROOT, "control bytes-per-call %d%n", bytesPerCall(() -> sink = new float[ROWS]));
        for (String name : args[0].split(",")) {
            BlockFormat format = BlockFormat.valueOf(name.strip());
            System.out.printf(Locale.ROOT, "%s bytes-per-matvec %d%n", format, bytesPerMatvec(kernels, format));
        }
    }

    /** Heap bytes this thread allocates per {@code matvec} of a prepared {@code format} matrix, after warm-up. */
    private static long bytesPerMatvec(Kernels kernels, BlockFormat format) {
        SplittableRandom random = new SplittableRandom(42);
        float[] values = gaussian(random, ROWS * COLS);
        MemorySegment data = Arena.ofAuto().allocate(format.tensorBytes(ROWS, COLS));
        Quantization.quantize(format, values, COLS, data);
        WeightMatrix w = kernels.prepare(new WeightMatrix(format, data, ROWS, COLS), Arena.ofAuto());
        QuantizedActivations x = QuantizedActivations.allocate(COLS, 1);
        x.quantize(gaussian(random, COLS), 0, 1);
        float[] out = new float[ROWS];
        return bytesPerCall(() -> kernels.matvec(w, x, out, 0, ROWS));
    }

    /** Heap bytes this thread allocates per call of {@code call}, after {@link #WARM_UP} calls. */
    private static long bytesPerCall(Runnable call) {
        for (int i = 0; i < WARM_UP; i++) {
            call.run();
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < MEASURED; i++) {
            call.run();
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / MEASURED;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
