package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufSplitTest {
    @TempDir
    Path dir;

    @Test
    void anyPartOpensTheWholeModel() throws IOException {
        writeParts("model", 3, 3, 6);
        for (int part = 1; part <= 3; part++) {
            try (GgufFile file = GgufFile.open(dir.resolve(name("model", part, 3)))) {
                assertThat(file.parts()).extracting(GgufFile.Part::source)
                        .containsExactly(path("model", 1, 3), path("model", 2, 3), path("model", 3, 3));
                assertThat(file.metadata().getString("general.architecture")).isEqualTo("llama");
                assertThat(file.tensors()).extracting(GgufTensor::name)
                        .containsExactly("t0", "t1", "t2", "t3", "t4", "t5");
                for (int t = 0; t < 6; t++) {
                    assertThat(file.tensor("t" + t).data().get(Le.I8, 0)).isEqualTo((byte) t);
                }
                assertThat(file.parts()).extracting(GgufFile.Part::tensorCount).containsExactly(2, 2, 2);
            }
        }
    }

    @Test
    void aMissingPartIsNamed() throws IOException {
        writeParts("model", 3, 3, 6);
        Files.delete(dir.resolve(name("model", 3, 3)));
        assertThatThrownBy(() -> GgufFile.open(dir.resolve(name("model", 1, 3))))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("split.count is 3 but part 3, " + path("model", 3, 3) + ", does not exist");
    }

    @Test
    void partsMustAgreeOnTheCountAndTheirNumbers() throws IOException {
        writeParts("model", 2, 2, 4);
        part(2, 4, 1, 4, 2, 2).write(dir.resolve(name("model", 2, 2))); // says 4 parts
        assertThatThrownBy(() -> GgufFile.open(dir.resolve(name("model", 1, 2))))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining(path("model", 2, 2))
                .hasMessageContaining("split.count is 4 but " + name("model", 1, 2) + " says the model has 2 parts");

        part(2, 2, 0, 4, 2, 2).write(dir.resolve(name("model", 2, 2))); // claims to be part 1
        assertThatThrownBy(() -> GgufFile.open(dir.resolve(name("model", 1, 2))))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("split.no is 0 but the file is part 2 of 2 (expected split.no 1)");
    }

    @Test
    void tensorsMustBeUniqueAcrossPartsAndAddUp() throws IOException {
        writeParts("model", 2, 2, 4);
        part(2, 2, 1, 4, 0, 2).write(dir.resolve(name("model", 2, 2))); // t0, t1 again
        assertThatThrownBy(() -> GgufFile.open(dir.resolve(name("model", 1, 2))))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 't0' is also in " + path("model", 1, 2));

        writeParts("model", 2, 2, 5); // split.tensors.count 5, but 4 tensors
        assertThatThrownBy(() -> GgufFile.open(dir.resolve(name("model", 2, 2))))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("split.tensors.count is 5 but the 2 parts hold 4 tensors");
    }

    @Test
    void aSplitPartMustBeNamedByTheConvention() throws IOException {
        part(0, 2, 0, 4, 0, 2).write(dir.resolve("renamed.gguf"));
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("renamed.gguf")))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("is not named NAME-00001-of-00002.gguf");
    }

    @Test
    void oneSplitIsAnOrdinaryFileAndClosingUnmaps() throws IOException {
        writeParts("single", 1, 1, 2);
        GgufFile file = GgufFile.open(dir.resolve(name("single", 1, 1)));
        assertThat(file.parts()).hasSize(1);
        GgufTensor tensor = file.tensor("t1");
        file.close();
        file.close();
        assertThatThrownBy(() -> tensor.data().get(Le.I8, 0)).isInstanceOf(IllegalStateException.class);
    }

    /** Writes a model of {@code parts} parts, two tensors each, as gguf-split lays them out. */
    private void writeParts(String prefix, int parts, int count, int tensorsCount) throws IOException {
        for (int i = 0; i < parts; i++) {
            part(i, count, i, tensorsCount, 2 * i, 2).write(dir.resolve(name(prefix, i + 1, count)));
        }
    }

    private static GgufWriter part(int index, int count, int splitNo, int tensorsCount, int firstTensor,
                                   int tensors) {
        GgufWriter w = new GgufWriter();
        if (index == 0) {
            w.putString("general.architecture", "llama");
        }
        w.put(GgufFile.SPLIT_NO, new GgufValue.UInt16(splitNo))
                .put(GgufFile.SPLIT_COUNT, new GgufValue.UInt16(count))
                .putInt32(GgufFile.SPLIT_TENSORS_COUNT, tensorsCount);
        for (int t = firstTensor; t < firstTensor + tensors; t++) {
            w.addTensor("t" + t, GgmlType.I8, new long[] {4}, new byte[] {(byte) t, 0, 0, 0});
        }
        return w;
    }

    private String path(String prefix, int part, int count) {
        return dir.resolve(name(prefix, part, count)).toString();
    }

    private static String name(String prefix, int part, int count) {
        return String.format("%s-%05d-of-%05d.gguf", prefix, part, count);
    }
}
