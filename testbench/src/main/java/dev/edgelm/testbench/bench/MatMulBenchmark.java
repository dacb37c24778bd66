package dev.edgelm.testbench.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Prefill matrix-matrix products: {@code batch} activation columns per pass over the weights. One operation
 * streams the weight matrix once (and does {@code batch} times the arithmetic of a matrix-vector product).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulBenchmark extends WeightProductBenchmark {

    @Param({"8"})
    public int batch;

    @Override
    protected int columns() {
        return batch;
    }

    @Benchmark
    public float[] matmul() {
        pool.matmul(kernels, weights, input, out);
        return out;
    }
}
