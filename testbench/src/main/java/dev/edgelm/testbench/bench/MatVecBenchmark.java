package dev.edgelm.testbench.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Decode matrix-vector products per weight format, shape, thread count and vector width. One operation streams
 * the whole weight matrix once; {@link KernelBenchmarks} turns operations per second into weight bytes per
 * second and a fraction of {@link MemoryBandwidthBenchmark}'s measured read bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatVecBenchmark extends WeightProductBenchmark {

    @Override
    protected int columns() {
        return 1;
    }

    @Benchmark
    public float[] matvec() {
        pool.matvec(kernels, weights, input, out);
        return out;
    }
}
