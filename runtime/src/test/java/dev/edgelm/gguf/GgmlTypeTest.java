package dev.edgelm.gguf;

import dev.edgelm.kernels.RowInterleaving;
import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgmlTypeTest {

    @Test
    void idsMatchGgmlAndRemovedIdsAreUnknown() {
        Set<Integer> removed = Set.of(4, 5, 31, 32, 33, 37, 38);
        // EdgeLM's interleaved types take ids from 1000, one per format that has an interleaved layout, and one more
        // for each layout retired (1000, Q4_0's first; 1002, TQ2_0's first).
        long interleaved = Arrays.stream(GgmlType.values()).filter(t -> t.layout() != WeightLayout.ROWS).count();
        Set<Integer> retired = Set.of(1000, 1002);
        for (int id = -1; id <= 1000 + interleaved + retired.size(); id++) {
            assertThat(GgmlType.retired(id).isPresent()).as("id %d", id).isEqualTo(retired.contains(id));
            if (id < 0 || id > 42 && id < 1000 || id >= 1000 + interleaved + retired.size() || removed.contains(id)
                    || retired.contains(id)) {
                assertThat(GgmlType.fromId(id)).as("id %d", id).isEmpty();
            } else {
                assertThat(GgmlType.fromId(id)).as("id %d", id).isPresent().get()
                        .extracting(GgmlType::id).isEqualTo(id);
            }
        }
        assertThat(GgmlType.fromId(36)).contains(GgmlType.I2_S);
        // 36 is I2_S, not upstream's removed type.
        assertThat(GgmlType.values()).hasSize((int) (43 - removed.size() + interleaved));
        assertThat(GgmlType.fromId(1008)).contains(GgmlType.Q4_0_X16);
        assertThat(GgmlType.retired(1000)).get().asString().contains("q4_0_x16");
        assertThat(GgmlType.fromId(1009)).contains(GgmlType.TQ2_0_X16);
        assertThat(GgmlType.retired(1002)).get().asString().contains("tq2_0_x16");
    }

    @Test
    void blockGeometryMatchesGgmlTypeTraits() {
        // Spot checks against ggml-common.h's static_asserts.
        assertThat(geometry(GgmlType.Q4_0)).containsExactly(32, 18);
        assertThat(geometry(GgmlType.Q8_0)).containsExactly(32, 34);
        assertThat(geometry(GgmlType.Q2_K)).containsExactly(256, 84);
        assertThat(geometry(GgmlType.Q3_K)).containsExactly(256, 110);
        assertThat(geometry(GgmlType.Q4_K)).containsExactly(256, 144);
        assertThat(geometry(GgmlType.Q6_K)).containsExactly(256, 210);
        assertThat(geometry(GgmlType.IQ3_S)).containsExactly(256, 110);
        assertThat(geometry(GgmlType.IQ1_M)).containsExactly(256, 56);
        assertThat(geometry(GgmlType.TQ1_0)).containsExactly(256, 54);
        assertThat(geometry(GgmlType.TQ2_0)).containsExactly(256, 66);
        assertThat(geometry(GgmlType.MXFP4)).containsExactly(32, 17);
        assertThat(geometry(GgmlType.NVFP4)).containsExactly(64, 36);
        assertThat(geometry(GgmlType.Q1_0)).containsExactly(128, 18);
        assertThat(geometry(GgmlType.BF16)).containsExactly(1, 2);
        assertThat(GgmlType.Q4_K.ggmlName()).isEqualTo("q4_K");
    }

    @Test
    void tensorBytesCountsBlocksAndI2sScale() {
        assertThat(GgmlType.F32.tensorBytes(new long[] {3, 5})).isEqualTo(60);
        assertThat(GgmlType.Q4_K.tensorBytes(new long[] {512, 3})).isEqualTo(2 * 3 * 144);
        // I2_S: 4 ternary codes per byte, then one float scale padded to 32 bytes.
        assertThat(GgmlType.I2_S.tensorBytes(new long[] {2560, 2560})).isEqualTo(2560L * 2560 / 4 + 32);
        assertThat(GgmlType.Q8_0.tensorBytes(new long[] {32, 0})).isZero();
        assertThatThrownBy(() -> GgmlType.Q4_0.tensorBytes(new long[] {33}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> GgmlType.F32.tensorBytes(new long[] {1L << 40, 1L << 30}))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> GgmlType.F32.tensorBytes(new long[] {1L << 62}))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void blockFormatsResolveByNameWithTheSameGeometry() {
        for (GgmlType type : GgmlType.values()) {
            type.blockFormat().ifPresent(format -> {
                if (type.layout() != WeightLayout.ROWS) {
                    return; // checked below
                }
                assertThat(format.name()).isEqualTo(type.name());
                if (type != GgmlType.I2_S) { // I2_S is per tensor, not block-structured, in GGUF
                    assertThat(new int[] {format.blockSize(), format.blockBytes()}).as(format.name())
                            .containsExactly(geometry(type));
                }
            });
        }
        assertThat(Arrays.stream(GgmlType.values()).filter(t -> t.blockFormat().isPresent()).map(Enum::name))
                .contains("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q4_K", "Q5_K",
                        "Q6_K", "Q8_K", "TQ1_0", "TQ2_0");
        assertThat(GgmlType.IQ2_XXS.blockFormat()).isEmpty();
    }

    /**
     * EdgeLM's interleaved types: their format's values in the interleaved layout, each the twin of the ggml type of
     * the same name without {@code _X16}, and 1/16 of a 16-row unit per block (so GGUF sizes match the layout).
     */
    @Test
    void interleavedTypesAreTheirFormatInAnotherLayout() {
        List<GgmlType> interleaved = Arrays.stream(GgmlType.values())
                .filter(type -> type.layout() == WeightLayout.INTERLEAVED_16).toList();
        assertThat(interleaved).contains(GgmlType.Q4_0_X16);
        for (GgmlType type : interleaved) {
            GgmlType base = GgmlType.valueOf(type.name().replace("_X16", ""));
            assertThat(base.layout()).isEqualTo(WeightLayout.ROWS);
            assertThat(base.interleaved()).contains(type);
            assertThat(type.interleaved()).isEmpty();
            assertThat(type.blockFormat()).isEqualTo(base.blockFormat()).isPresent();
            BlockFormat format = type.blockFormat().orElseThrow();
            assertThat(type.blockSize()).isEqualTo(format.blockSize());
            WeightMatrix group = new WeightMatrix(format,
                    MemorySegment.ofArray(new byte[format.blockBytes() * 16 + format.tensorTrailerBytes()]), 16,
                    format.blockSize());
            assertThat(type.tensorBytes(new long[] {format.blockSize(), 16}))
                    .as(type.name()).isEqualTo(RowInterleaving.interleavedBytes(group));
        }
        assertThat(GgmlType.Q4_0_X16.tensorBytes(new long[] {64, 32})).isEqualTo(2 * 32 * 20);
        assertThat(GgmlType.Q8_0_X16.tensorBytes(new long[] {64, 32})).isEqualTo(2 * 32 * 36);
        assertThat(GgmlType.Q8_0.interleaved()).contains(GgmlType.Q8_0_X16);
        assertThat(GgmlType.Q4_1.interleaved()).isEmpty();
    }

    @Test
    void theFloatTypesAreF32F16AndBf16() {
        assertThat(Arrays.stream(GgmlType.values()).filter(GgmlType::isFloat))
                .containsExactlyInAnyOrder(GgmlType.F32, GgmlType.F16, GgmlType.BF16);
    }

    private static int[] geometry(GgmlType type) {
        return new int[] {type.blockSize(), type.typeSize()};
    }
}
