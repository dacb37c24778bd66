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
 * Prefill matrix-matrix products: {@code batch} activation columns per pass over the weights. One operation
 * streams the weight matrix once (and does {@code batch} times the arithmetic of a matrix-vector product).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulBenchmark {

    @Param({"Q4_0", "Q8_0", "TQ2_0", "Q4_K"})
    public String format;

    @Param({"576x1536", "896x4864", "2048x8192", "2560x6912"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "128", "preferred"})
    public String width;

    @Param({"8"})
    public int batch;

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
        input = BenchSetup.activations(rc[1], batch, 43);
        out = new float[rc[0] * batch];
        pool = new ComputePool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] matmul() {
        pool.matmul(kernels, weights, input, out);
        return out;
    }
}
