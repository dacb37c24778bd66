package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufFileTest {
    @TempDir
    Path dir;

    @Test
    void errorsNameTheFile() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        assertThatThrownBy(() -> GgufFile.open(empty)).isInstanceOf(GgufFormatException.class)
                .hasMessage(empty + ": offset 0: expected the magic 'GGUF' (47 47 55 46), found nothing and the end"
                        + " of the 0-byte file");
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("missing.gguf"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void tensorsAreReadableFromOtherThreadsAndLookupsFailClearly() throws Exception {
        Path path = dir.resolve("m.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .addTensor("w", GgmlType.F32, new long[] {4, 2}, target -> target.setAtIndex(Le.F32, 7, 2.5f))
                .write(path);
        try (GgufFile file = GgufFile.open(path)) {
            GgufTensor w = file.tensor("w");
            assertThat(CompletableFuture.supplyAsync(() -> w.data().getAtIndex(Le.F32, 7)).get()).isEqualTo(2.5f);
            assertThat(w.elementCount()).isEqualTo(8);
            assertThat(w.dim(1)).isEqualTo(2);
            assertThat(w.dim(3)).isEqualTo(1);
            assertThat(file.findTensor("nope")).isEmpty();
            assertThatThrownBy(() -> file.tensor("nope")).isInstanceOf(GgufFormatException.class)
                    .hasMessage(path + ": no tensor named 'nope'");
            assertThat(file.parts()).singleElement()
                    .satisfies(p -> assertThat(p.size()).isEqualTo(Files.size(path)));
        }
    }
}
