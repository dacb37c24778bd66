package dev.edgelm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {

    @TempDir
    Path dir;

    private Path model(GgmlType secondType) throws IOException {
        Path file = dir.resolve("model.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {256, 8})
                .addTensor("blk.0.ffn_down.weight", secondType, new long[] {256, 4})
                .addTensor("blk.1.ffn_down.weight", GgmlType.IQ3_S, new long[] {256, 4})
                .write(file);
        return file;
    }

    @Test
    void opensAModelWhoseTypesTheKernelsRun() throws IOException {
        Path file = dir.resolve("ok.gguf");
        new GgufWriter()
                .addTensor("a", GgmlType.Q4_K, new long[] {256, 2})
                .addTensor("b", GgmlType.TQ2_0, new long[] {256, 2})
                .addTensor("c", GgmlType.F32, new long[] {7})
                .write(file);
        try (ModelFile model = ModelFile.open(file)) {
            assertThat(model.gguf().tensors()).hasSize(3);
        }
    }

    @Test
    void unsupportedTypeFailsNamingTheFirstSuchTensorAndItsType() throws IOException {
        Path file = model(GgmlType.IQ2_XXS);
        assertThatThrownBy(() -> ModelFile.open(file))
                .isInstanceOf(UnsupportedTensorTypeException.class)
                .hasMessageStartingWith(file + ": tensor 'blk.0.ffn_down.weight' has type iq2_xxs, which EdgeLM cannot run yet")
                .hasMessageContaining("q4_0")
                .satisfies(e -> assertThat(((UnsupportedTensorTypeException) e).type()).isEqualTo(GgmlType.IQ2_XXS));
    }

    @Test
    void everyKernelFormatIsReachableFromAGgmlType() {
        assertThat(ModelFile.supportedTypeNames().split(", "))
                .contains("f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_K", "q5_K", "q6_K",
                        "tq1_0", "tq2_0", "i2_s")
                .doesNotContain("iq2_xxs", "q2_K");
    }
}
