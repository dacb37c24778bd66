package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.gaussian;
import static dev.edgelm.kernels.KernelTestSupport.quantize;
import static dev.edgelm.kernels.KernelTestSupport.quantizedMatrix;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The compute pool covers every index once, propagates failures, and its results ignore the thread count. */
class ComputePoolTest {

    @Test
    void everyIndexRunsExactlyOnce() {
        try (ComputePool pool = new ComputePool(3)) {
            for (int count : new int[] {0, 1, 17, 1000, 4099}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                for (int repeat = 0; repeat < 20; repeat++) {
                    pool.forEachChunk(count, 7, (start, end) -> {
                        for (int i = start; i < end; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                }
                for (int i = 0; i < count; i++) {
                    assertThat(hits.get(i)).as("index " + i + " of " + count).isEqualTo(20);
                }
            }
        }
    }

    /** Many back-to-back jobs of changing sizes: a worker late for one job never takes a chunk of the next. */
    @Test
    void backToBackJobsOfChangingSizesRunEveryIndexOnce() {
        try (ComputePool pool = new ComputePool(3)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(600);
            int[] sizes = {600, 3, 97, 1, 256, 40};
            int[] expected = new int[hits.length()];
            for (int job = 0; job < 3000; job++) {
                int count = sizes[job % sizes.length];
                pool.forEachChunk(count, 1 + job % 5, (start, end) -> {
                    for (int i = start; i < end; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    expected[i]++;
                }
            }
            for (int i = 0; i < expected.length; i++) {
                assertThat(hits.get(i)).as("index " + i).isEqualTo(expected[i]);
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        for (BlockFormat format : new BlockFormat[] {BlockFormat.Q4_0, BlockFormat.Q8_0, BlockFormat.TQ2_0,
                BlockFormat.Q4_K, BlockFormat.Q6_K, BlockFormat.F16}) {
            // 3 columns decode and dot, 27 run the float tiles of prefill; rows of two value blocks and a part.
            for (int columns : new int[] {3, 27}) {
                long seed = seed(700 + format.ordinal());
                SplittableRandom random = new SplittableRandom(seed);
                WeightMatrix w = quantizedMatrix(format, 301, 1280, random);
                QuantizedActivations x = quantize(gaussian(random, columns * 1280), 1280);
                float[] single = new float[w.rows() * columns];
                Kernels.get().matmul(w, x, single, 0, w.rows());
                float[] singleVector = new float[w.rows()];
                Kernels.get().matvec(w, x, singleVector, 0, w.rows());
                for (int threads = 1; threads <= 3; threads++) {
                    try (ComputePool pool = new ComputePool(threads)) {
                        float[] out = new float[w.rows() * columns];
                        pool.matmul(Kernels.get(), w, x, out);
                        assertThat(out).as(format + " matmul of " + columns + " columns, " + threads + " threads, "
                                + replay(seed)).containsExactly(single);
                        float[] vector = new float[w.rows()];
                        pool.matvec(Kernels.get(), w, x, vector);
                        assertThat(vector).as(format + " matvec, " + threads + " threads, " + replay(seed))
                                .containsExactly(singleVector);
                    }
                }
            }
        }
    }

    /**
     * A product's chunks start and end at whole steps of the rows its kernels compute together (but for the last),
     * so that no two threads compute the same rows: the kernels here delegate to the real ones and claim a step of
     * 32, wider than a row group.
     */
    @Test
    void matrixChunksAreWholeKernelSteps() {
        int step = 32;
        List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
        Kernels real = Kernels.get();
        Kernels recording = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "rowStep" -> step;
                    case "matvec", "matmul" -> {
                        ranges.add(new int[] {(int) args[3], (int) args[4]});
                        yield method.invoke(real, args);
                    }
                    default -> method.invoke(real, args);
                });
        SplittableRandom random = new SplittableRandom(seed(710));
        WeightMatrix w = quantizedMatrix(BlockFormat.Q8_0, 1000, 2048, random);
        QuantizedActivations x = quantize(gaussian(random, 2048), 2048);
        try (ComputePool pool = new ComputePool(2)) {
            pool.matvec(recording, w, x, new float[w.rows()]);
        }
        assertThat(ranges).hasSizeGreaterThan(1);
        for (int[] range : ranges) {
            assertThat(range[0] % step).as("start " + range[0]).isZero();
            assertThat(range[1] % step == 0 || range[1] == w.rows()).as("end " + range[1]).isTrue();
        }
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolStaysUsable() {
        try (ComputePool pool = new ComputePool(2)) {
            assertThatThrownBy(() -> pool.forEachChunk(1000, 10, (start, end) -> {
                if (start >= 500) {
                    throw new IllegalStateException("boom at " + start);
                }
            })).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("boom");
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            pool.forEachChunk(100, 3, (start, end) -> {
                for (int i = start; i < end; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 100; i++) {
                assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void rejectsBadArgumentsAndUseAfterClose() {
        assertThatThrownBy(() -> new ComputePool(0)).isInstanceOf(IllegalArgumentException.class);
        ComputePool pool = new ComputePool(2);
        assertThat(pool.threads()).isEqualTo(2);
        assertThatThrownBy(() -> pool.forEachChunk(10, 0, (s, e) -> { })).isInstanceOf(IllegalArgumentException.class);
        pool.close();
        assertThatThrownBy(() -> pool.forEachChunk(10, 1, (s, e) -> { })).isInstanceOf(IllegalStateException.class);
    }
}
