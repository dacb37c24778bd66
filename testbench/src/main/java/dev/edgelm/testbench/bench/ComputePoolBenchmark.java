package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.ComputePool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The compute pool's cost per job: back-to-back jobs of 16 chunks of {@code work} steps of a dependent
 * multiply-add chain each (about 2 ns a step), as a decode step issues them. At {@code work=0} it is the pure hand-off; compare 1 and 2
 * threads in the same run. Run it with JMH's own main ({@code org.openjdk.jmh.Main ComputePoolBenchmark}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ComputePoolBenchmark {

    private static final int CHUNKS = 16;

    @Param({"1", "2"})
    public int threads;

    @Param({"0", "1000", "10000"})
    public int work;

    private ComputePool pool;
    private final AtomicLong sink = new AtomicLong();
    private ComputePool.RangeTask task;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new ComputePool(threads);
        task = (start, end) -> {
            long x = start;
            for (long i = (long) (end - start) * work; i > 0; i--) {
                x = x * 6364136223846793005L + 1442695040888963407L; // dependent: no vectorising it away
            }
            sink.addAndGet(x);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public long job() {
        pool.forEachChunk(CHUNKS, 1, task);
        return sink.get();
    }
}
