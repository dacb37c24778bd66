package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.QuantizedActivations;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Decode matrix-vector products per weight format, shape, thread count and vector width. One operation streams
 * the whole weight matrix once; {@link KernelBenchmarks} turns operations per second into weight bytes per
 * second and a fraction of {@link MemoryBandwidthBenchmark}'s measured read bandwidth. Shapes are
 * {@code ROWSxCOLS} of the feed-forward down projections of SmolLM2-135M, Qwen2.5-0.5B, Llama-3.2-1B and
 * BitNet-2B (columns are multiples of 256, as the K-quants and ternary formats need).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatVecBenchmark {

    @Param({"Q4_0", "Q8_0", "TQ2_0", "Q4_K"})
    public String format;

    @Param({"576x1536", "896x4864", "2048x8192", "2560x6912"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "128", "preferred"})
    public String width;

    private Kernels kernels;
    private ComputePool pool;
    private WeightMatrix weights;
    private QuantizedActivations input;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = BenchSetup.kernels(width);
        int[] rc = BenchSetup.shape(shape);
        weights = BenchSetup.weights(BlockFormat.valueOf(format), rc[0], rc[1], 42);
        input = BenchSetup.activations(rc[1], 1, 43);
        out = new float[rc[0]];
        pool = new ComputePool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** Bytes of weights one operation streams. */
    public long weightBytes() {
        return weights.weightBytes();
    }

    @Benchmark
    public float[] matvec() {
        pool.matvec(kernels, weights, input, out);
        return out;
    }
}
