package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void refusesWhatLlamaCppWouldNotLoad() {
        GgufWriter w = new GgufWriter().addTensor("a", GgmlType.F32, new long[] {1}, new byte[4]);
        assertThatThrownBy(() -> w.addTensor("a", GgmlType.F32, new long[] {1}, new byte[4]))
                .hasMessageContaining("duplicate tensor name 'a'");
        assertThatThrownBy(() -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new byte[4]))
                .hasMessageContaining("must be 1 to 63 UTF-8 bytes");
        assertThatThrownBy(() -> w.addTensor("", GgmlType.F32, new long[] {1}, new byte[4]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("b", GgmlType.Q4_0, new long[] {16}, new byte[9]))
                .hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> w.addTensor("b", GgmlType.F32, new long[] {2}, new byte[4]))
                .hasMessageContaining("takes 8 bytes, got 4");
        assertThatThrownBy(() -> w.addTensor("b", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]))
                .hasMessageContaining("5 dimensions");
        assertThatThrownBy(() -> w.addTensor("b", GgmlType.F32, new long[] {1L << 62}, target -> { }))
                .hasMessageContaining("too large");
        assertThatThrownBy(() -> w.put("", new GgufValue.Int32(1))).hasMessageContaining("empty");
        assertThatThrownBy(() -> w.putString("k", "bad \uD800 surrogate")).hasMessageContaining("unpaired");
        assertThatThrownBy(() -> GgufStringArray.of("\uDC00")).hasMessageContaining("unpaired");
        assertThatThrownBy(() -> w.alignment(48)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> w.putInt32("general.alignment", 32)).hasMessageContaining("must be a u32");
    }

    @Test
    void putKeepsThePlaceOfAnExistingKeyAndRemoveRestoresTheDefaultAlignment() {
        GgufWriter w = new GgufWriter().putString("a", "1").putString("b", "2").putString("a", "3").alignment(64);
        GgufMetadata m = GgufFile.parse(MemorySegment.ofArray(w.toByteArray()), "w").metadata();
        assertThat(m.keys()).containsExactly("a", "b", "general.alignment");
        assertThat(m.getString("a")).isEqualTo("3");
        w.remove("general.alignment").addTensor("t", GgmlType.I8, new long[] {1}, new byte[] {1});
        assertThat(GgufFile.parse(MemorySegment.ofArray(w.toByteArray()), "w").alignment()).isEqualTo(32);
    }

    @Test
    void rewritingAFileLeavesReadersOfTheOldOneIntact() throws IOException {
        Path path = dir.resolve("model.gguf");
        new GgufWriter().addTensor("t", GgmlType.I8, new long[] {4}, new byte[] {1, 2, 3, 4}).write(path);
        try (GgufFile old = GgufFile.open(path)) {
            new GgufWriter().putString("general.name", "new").write(path);
            assertThat(old.tensor("t").data().get(Le.I8, 3)).isEqualTo((byte) 4);
        }
        try (GgufFile fresh = GgufFile.open(path)) {
            assertThat(fresh.tensors()).isEmpty();
        }
    }

    @Test
    void aFailingTensorSourceLeavesNoFileBehind() throws IOException {
        Path path = dir.resolve("broken.gguf");
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.I8, new long[] {4}, target -> {
            throw new IOException("source went away");
        });
        assertThatThrownBy(() -> w.write(path)).isInstanceOf(IOException.class).hasMessage("source went away");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
