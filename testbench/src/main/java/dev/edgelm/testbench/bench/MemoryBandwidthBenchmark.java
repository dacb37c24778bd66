package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * This machine's read bandwidth as plain Java sees it: a long-by-long sum over an off-heap segment far larger
 * than the caches, split across {@code threads} threads by the same compute pool the kernels use. It is the
 * baseline the kernel benchmarks are reported against.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MemoryBandwidthBenchmark {

    /** Bytes read per operation. */
    public static final long BYTES = 512L << 20;
    private static final int CHUNK = 1 << 20;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private MemorySegment data;
    private ComputePool pool;
    private final AtomicLong sink = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        data = arena.allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 8) {
            data.set(ValueLayout.JAVA_LONG, i, i);
        }
        pool = new ComputePool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public long read() {
        sink.set(0);
        pool.forEachChunk((int) (BYTES / CHUNK), 1, (start, end) -> {
            long sum = 0;
            for (long at = (long) start * CHUNK; at < (long) end * CHUNK; at += 8) {
                sum += data.get(ValueLayout.JAVA_LONG, at);
            }
            sink.addAndGet(sum);
        });
        return sink.get();
    }
}
