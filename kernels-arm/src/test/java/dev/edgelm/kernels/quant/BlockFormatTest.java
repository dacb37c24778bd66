package dev.edgelm.kernels.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class BlockFormatTest {

    /** Block geometry as {@code sizeof(block_*)} in ggml-common.h (and BitNet's 128 values in 32 bytes). */
    @ParameterizedTest(name = "{0}: {1} values in {2} bytes")
    @CsvSource({
        "F32, 1, 4", "F16, 1, 2", "BF16, 1, 2",
        "Q4_0, 32, 18",    // d + 16 nibble bytes
        "Q4_1, 32, 20",    // d, m + 16
        "Q5_0, 32, 22",    // d + 4 fifth-bit bytes + 16
        "Q5_1, 32, 24",    // d, m + 4 + 16
        "Q8_0, 32, 34",    // d + 32
        "Q8_1, 32, 36",    // d, s + 32
        "Q4_K, 256, 144",  // d, dmin + 12 scale bytes + 128
        "Q5_K, 256, 176",  // d, dmin + 12 + 32 + 128
        "Q6_K, 256, 210",  // 128 + 64 + 16 scales + d
        "Q8_K, 256, 292",  // float d + 256 + 16 int16 sums
        "TQ1_0, 256, 54",  // 48 base-3 bytes + 4 + d
        "TQ2_0, 256, 66",  // 64 + d
        "I2_S, 128, 32",   // 4 values per byte, scale per tensor
    })
    void geometryMatchesGgml(BlockFormat format, int blockSize, int blockBytes) {
        assertThat(format.blockSize()).isEqualTo(blockSize);
        assertThat(format.blockBytes()).isEqualTo(blockBytes);
    }

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void tensorBytesAreRowsTimesRowBytesPlusTheTrailer(BlockFormat format) {
        long rowLength = 2048;
        long rows = 7;
        long rowBytes = rowLength / format.blockSize() * format.blockBytes();
        assertThat(format.rowBytes(rowLength)).isEqualTo(rowBytes);
        long trailer = format == BlockFormat.I2_S ? 32 : 0;
        assertThat(format.tensorTrailerBytes()).isEqualTo(trailer);
        assertThat(format.tensorBytes(rows, rowLength)).isEqualTo(rows * rowBytes + trailer);
        assertThat(Quantization.tensorBytes(format, rows, rowLength)).isEqualTo(rows * rowBytes + trailer);
        assertThat(format.tensorBytes(0, rowLength)).isZero();
    }

    @ParameterizedTest
    @CsvSource({"2560, 2560", "6912, 2560"})
    void i2_sTensorBytesAreElementsOverFourPlus32(long rows, long rowLength) {
        // BitNet's ggml_nbytes override; BitNet-b1.58-2B's projections have these shapes.
        assertThat(BlockFormat.I2_S.tensorBytes(rows, rowLength)).isEqualTo(rows * rowLength / 4 + 32);
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void rowsThatAreNotWholeBlocksAreRejected(BlockFormat format) {
        long bad = format.blockSize() + 1;
        assertThatThrownBy(() -> format.rowBytes(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(format + " rows must be a multiple of " + format.blockSize() + " values, got " + bad);
        assertThatThrownBy(() -> format.tensorBytes(2, bad)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void hugeTensorsAreRejectedRatherThanOverflowing(BlockFormat format) {
        assertThatThrownBy(() -> format.tensorBytes(Long.MAX_VALUE / 2, 256L * 1024))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }
}
