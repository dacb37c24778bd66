package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.QuantizedActivations;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.Arena;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the weight-product benchmarks share: one weight matrix per format and shape, quantized activations, a
 * compute pool of the given size and the kernels of the given width. Shapes are {@code ROWSxCOLS} of the
 * feed-forward down projections of SmolLM2-135M, Qwen2.5-0.5B, Llama-3.2-1B and BitNet-2B (columns are multiples
 * of 256, as the K-quants and ternary formats need).
 */
@State(Scope.Benchmark)
public abstract class WeightProductBenchmark {

    @Param({"Q4_0", "Q8_0", "TQ2_0", "Q4_K", "Q6_K", "Q5_0"})
    public String format;

    @Param({"576x1536", "896x4864", "2048x8192", "2560x6912"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "128", "preferred"})
    public String width;

    /**
     * {@code prepared}: the weights in the layout the kernels multiply fastest, as a model opened by EdgeLM has them
     * ({@link Kernels#prepare}: the vector kernels interleave every format that has an interleaved layout,
     * {@link dev.edgelm.kernels.WeightLayout#INTERLEAVED_16}); {@code mapped}: as in the GGUF file.
     */
    @Param({"prepared"})
    public String layout;

    protected Kernels kernels;
    protected ComputePool pool;
    protected WeightMatrix weights;
    protected QuantizedActivations input;
    protected float[] out;

    /** Activation columns per operation: 1 for decode, the batch for prefill. */
    protected abstract int columns();

    @Setup(Level.Trial)
    public void setUp() {
        kernels = BenchSetup.kernels(width);
        int[] rc = BenchSetup.shape(shape);
        weights = BenchSetup.weights(BlockFormat.valueOf(format), rc[0], rc[1], 42);
        switch (layout) {
            case "prepared" -> weights = kernels.prepare(weights, Arena.global());
            case "mapped" -> { }
            default -> throw new IllegalArgumentException("layout must be prepared or mapped, got " + layout);
        }
        input = BenchSetup.activations(rc[1], columns(), 43);
        out = new float[rc[0] * columns()];
        pool = new ComputePool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** Bytes of weights one operation streams, in the layout benchmarked. */
    public long weightBytes() {
        return weights.weightBytes();
    }
}
