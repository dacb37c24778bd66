package dev.edgelm.kernels;

import static dev.edgelm.kernels.KernelTestSupport.quantizedMatrix;
import static dev.edgelm.kernels.KernelTestSupport.replay;
import static dev.edgelm.kernels.KernelTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Requantization}: a matrix converted to another format holds exactly the reference quantizer's bytes for the
 * reference dequantizer's values, in either layout and on any number of threads, and what cannot be converted is
 * refused.
 */
class RequantizationTest {

    /** The bytes of {@code w}'s values quantized whole by the reference quantizer, in the GGUF layout. */
    private static WeightMatrix quantizedWhole(WeightMatrix w, BlockFormat format) {
        float[] values = Quantization.dequantize(w.format(), w.data(), w.rows(), w.cols());
        MemorySegment data = Arena.ofAuto().allocate(format.tensorBytes(w.rows(), w.cols()));
        Quantization.quantize(format, values, w.cols(), data);
        return new WeightMatrix(format, data, w.rows(), w.cols());
    }

    private static byte[] bytes(WeightMatrix w, long size) {
        return w.data().asSlice(0, size).toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @CsvSource({"F16, Q8_0", "F16, Q6_K", "BF16, Q8_0", "F32, Q6_K", "F16, Q4_0", "F16, Q4_K", "Q8_0, Q4_0"})
    void theBytesAreTheReferenceQuantizersInEitherLayoutOnAnyThreads(BlockFormat from, BlockFormat to) {
        for (int s = 0; s < 3; s++) {
            long seed = seed(9100 + s);
            SplittableRandom random = new SplittableRandom(seed);
            int cols = 256 * random.nextInt(1, 4);
            int groups = random.nextInt(1, 5);
            // Rows past the last whole group: the GGUF layout takes them, the interleaved one cannot.
            WeightMatrix w = quantizedMatrix(from, 16 * groups + random.nextInt(1, 16), cols, random);
            WeightMatrix expected = quantizedWhole(w, to);
            long rowsBytes = Requantization.requantizedBytes(w, to, WeightLayout.ROWS);
            assertThat(rowsBytes).isEqualTo(to.tensorBytes(w.rows(), cols));

            WeightMatrix wholeGroups = new WeightMatrix(from, w.data(), 16 * groups, cols);
            WeightMatrix expectedInterleaved = RowInterleaving.interleave(
                    new WeightMatrix(to, expected.data(), 16 * groups, cols), Arena.ofAuto());
            long interleavedBytes = Requantization.requantizedBytes(wholeGroups, to, WeightLayout.INTERLEAVED_16);
            for (int threads : new int[] {1, 3}) {
                try (ComputePool pool = new ComputePool(threads)) {
                    WeightMatrix rows = Requantization.requantize(w, to, WeightLayout.ROWS,
                            Arena.ofAuto().allocate(rowsBytes), pool);
                    assertThat(bytes(rows, rowsBytes)).as("%s rows, %d threads, %s", to, threads, replay(seed))
                            .isEqualTo(bytes(expected, rowsBytes));

                    WeightMatrix interleaved = Requantization.requantize(wholeGroups, to,
                            WeightLayout.INTERLEAVED_16, Arena.ofAuto().allocate(interleavedBytes), pool);
                    assertThat(interleaved.layout()).isEqualTo(WeightLayout.INTERLEAVED_16);
                    assertThat(bytes(interleaved, interleavedBytes)).as("%s interleaved, %d threads, %s", to,
                            threads, replay(seed)).isEqualTo(bytes(expectedInterleaved, interleavedBytes));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"I2_S", "Q8_1", "Q8_K"})
    void aTensorScaleOrAnActivationFormatIsRefused(BlockFormat format) {
        WeightMatrix f16 = quantizedMatrix(BlockFormat.F16, 16, 256, new SplittableRandom(seed(9200)));
        assertThat(Requantization.canRequantize(f16, format, WeightLayout.ROWS)).isFalse();
        try (ComputePool pool = new ComputePool(1)) {
            assertThatThrownBy(() -> Requantization.requantize(f16, format, WeightLayout.ROWS,
                    Arena.ofAuto().allocate(1 << 16), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot requantize");
        }
        if (format == BlockFormat.I2_S) {
            WeightMatrix i2s = quantizedMatrix(format, 16, 256, new SplittableRandom(seed(9201)));
            assertThat(Requantization.canRequantize(i2s, BlockFormat.Q8_0, WeightLayout.ROWS)).isFalse();
        }
    }

    @Test
    void partialGroupsInterleavedRaggedRowsAndASmallTargetAreRefused() {
        SplittableRandom random = new SplittableRandom(seed(9300));
        WeightMatrix ragged = quantizedMatrix(BlockFormat.F16, 17, 256, random);
        assertThat(Requantization.canRequantize(ragged, BlockFormat.Q8_0, WeightLayout.INTERLEAVED_16)).isFalse();
        assertThat(Requantization.canRequantize(ragged, BlockFormat.Q8_0, WeightLayout.ROWS)).isTrue();
        WeightMatrix shortRows = quantizedMatrix(BlockFormat.F16, 16, 96, random);
        assertThat(Requantization.canRequantize(shortRows, BlockFormat.Q6_K, WeightLayout.ROWS)).isFalse();
        assertThat(Requantization.canRequantize(shortRows, BlockFormat.Q8_0, WeightLayout.ROWS)).isTrue();
        try (ComputePool pool = new ComputePool(1)) {
            assertThatThrownBy(() -> Requantization.requantize(ragged, BlockFormat.Q8_0, WeightLayout.ROWS,
                    Arena.ofAuto().allocate(100), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the target has 100");
        }
    }
}
