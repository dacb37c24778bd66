package dev.edgelm.kernels.quant;

import static dev.edgelm.kernels.quant.QuantTestSupport.random;
import static dev.edgelm.kernels.quant.QuantTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The tensor-level API, the row API's bounds, and invalid input. */
class QuantizationTest {

    private static float[] randomValues(int n, long seed) {
        SplittableRandom random = random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void tensorIsItsRowsBackToBack(BlockFormat format) {
        int rows = 3;
        int rowLength = 512;
        float[] x = randomValues(rows * rowLength, seed(500));
        MemorySegment tensor = Arena.ofAuto().allocate(Quantization.tensorBytes(format, rows, rowLength));
        Quantization.quantize(format, x, rowLength, tensor);

        BlockCodec codec = BlockCodec.of(format);
        long rowBytes = format.rowBytes(rowLength);
        MemorySegment row = Arena.ofAuto().allocate(rowBytes);
        for (int r = 0; r < rows; r++) {
            codec.quantizeRow(x, r * rowLength, rowLength, row, 0);
            assertThat(tensor.asSlice(r * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE))
                    .as("%s row %d", format, r).isEqualTo(row.toArray(ValueLayout.JAVA_BYTE));
        }
        float[] values = Quantization.dequantize(format, tensor, rows, rowLength);
        float[] rowValues = new float[rowLength];
        float scale = format == BlockFormat.I2_S ? Quantization.i2sScale(tensor, rows, rowLength) : 1;
        for (int r = 0; r < rows; r++) {
            codec.dequantizeRow(tensor, r * rowBytes, rowValues, 0, rowLength);
            for (int i = 0; i < rowLength; i++) {
                assertThat(values[r * rowLength + i]).isEqualTo(scale * rowValues[i]);
            }
        }
    }

    @Test
    void i2_sTensorEndsWithItsScaleAndZeroPadding() {
        float[] x = new float[2 * 128];
        x[3] = 0.75f;
        x[200] = -1.5f; // the maximum over both rows
        MemorySegment tensor = Arena.ofAuto().allocate(2 * 32 + 32);
        tensor.fill((byte) 0x5A);
        Quantization.quantize(BlockFormat.I2_S, x, 128, tensor);
        assertThat(tensor.get(LittleEndian.FLOAT, 64)).isEqualTo(1.5f); // at elements / 4
        assertThat(tensor.asSlice(68, 28).toArray(ValueLayout.JAVA_BYTE)).containsOnly(0);
        assertThat(Quantization.i2sScale(tensor, 2, 128)).isEqualTo(1.5f);
        float[] y = Quantization.dequantize(BlockFormat.I2_S, tensor, 2, 128);
        assertThat(y[3]).isEqualTo(1.5f);
        assertThat(y[200]).isEqualTo(-1.5f);
        assertThat(y[0]).isZero();
    }

    @Test
    void rowCodecWritesOnlyItsRange() {
        for (BlockFormat format : BlockFormat.values()) {
            int n = 256;
            float[] src = randomValues(n + 5, seed(501));
            long rowBytes = format.rowBytes(n);
            MemorySegment dst = Arena.ofAuto().allocate(rowBytes + 20);
            dst.fill((byte) 0x5A);
            BlockCodec.of(format).quantizeRow(src, 5, n, dst, 7);
            byte[] all = dst.toArray(ValueLayout.JAVA_BYTE);
            for (int i = 0; i < 7; i++) {
                assertThat(all[i]).as("%s byte %d", format, i).isEqualTo((byte) 0x5A);
            }
            for (long i = 7 + rowBytes; i < all.length; i++) {
                assertThat(all[(int) i]).as("%s byte %d", format, i).isEqualTo((byte) 0x5A);
            }
            float[] out = new float[n + 3];
            BlockCodec.of(format).dequantizeRow(dst, 7, out, 3, n);
            float[] direct = new float[n];
            MemorySegment plain = Arena.ofAuto().allocate(rowBytes);
            BlockCodec.of(format).quantizeRow(src, 5, n, plain, 0);
            BlockCodec.of(format).dequantizeRow(plain, 0, direct, 0, n);
            assertThat(java.util.Arrays.copyOfRange(out, 3, n + 3)).as("%s", format).containsExactly(direct);
        }
    }

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void codecReportsItsFormat(BlockFormat format) {
        assertThat(BlockCodec.of(format).format()).isEqualTo(format);
    }

    @Test
    void rowLengthMustBeAWholeNumberOfBlocks() {
        MemorySegment big = Arena.ofAuto().allocate(4096);
        assertThatThrownBy(() -> BlockCodec.of(BlockFormat.Q4_0).quantizeRow(new float[40], 0, 40, big, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0 rows must be a multiple of 32 values, got 40");
        assertThatThrownBy(() -> BlockCodec.of(BlockFormat.Q6_K).dequantizeRow(big, 0, new float[300], 0, 300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q6_K rows must be a multiple of 256 values, got 300");
        assertThatThrownBy(() -> Quantization.quantize(BlockFormat.I2_S, new float[192], 64, big))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("I2_S rows must be a multiple of 128 values, got 64");
        assertThatThrownBy(() -> Quantization.dequantize(BlockFormat.TQ2_0, big, 1, 128))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TQ2_0 rows must be a multiple of 256 values, got 128");
        assertThatThrownBy(() -> BlockFormat.Q8_0.rowBytes(-32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q8_0 rows must be a multiple of 32 values, got -32");
    }

    @Test
    void tensorArgumentsAreChecked() {
        MemorySegment small = Arena.ofAuto().allocate(17);
        assertThatThrownBy(() -> Quantization.quantize(BlockFormat.Q4_0, new float[96], 64, small))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0: 96 values do not make whole rows of 64");
        assertThatThrownBy(() -> Quantization.quantize(BlockFormat.Q4_0, new float[32], 0, small))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0: 32 values do not make whole rows of 0");
        assertThatThrownBy(() -> Quantization.quantize(BlockFormat.Q4_0, new float[32], 32, small))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0: destination holds 17 bytes, a 1 x 32 tensor needs 18");
        assertThatThrownBy(() -> Quantization.dequantize(BlockFormat.Q4_0, small, 1, 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0: source holds 17 bytes, a 1 x 32 tensor needs 18");
        assertThatThrownBy(() -> Quantization.dequantize(BlockFormat.Q4_0, small, -1, 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Q4_0 tensor row count must not be negative, got -1");
        assertThatThrownBy(() -> Quantization.dequantize(BlockFormat.F32, small, 1L << 20, 1L << 12))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too many values for one float[]");
        assertThatThrownBy(() -> Quantization.i2sScale(small, 0, 128))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("I2_S: an empty 0 x 128 tensor has no scale");
    }

    @Test
    void rowRangesAreBoundsChecked() {
        BlockCodec codec = BlockCodec.of(BlockFormat.Q8_0);
        MemorySegment block = Arena.ofAuto().allocate(34);
        assertThatThrownBy(() -> codec.quantizeRow(new float[32], 1, 32, block, 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> codec.quantizeRow(new float[32], 0, 32, block, 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> codec.dequantizeRow(block, 0, new float[31], 0, 32))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void emptyTensorsAreAllowed() {
        MemorySegment none = MemorySegment.ofArray(new byte[0]);
        Quantization.quantize(BlockFormat.I2_S, new float[0], 128, none);
        assertThat(Quantization.dequantize(BlockFormat.I2_S, none, 0, 128)).isEmpty();
    }
}
