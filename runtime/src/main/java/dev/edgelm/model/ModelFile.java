package dev.edgelm.model;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A GGUF model opened for inference: every tensor has a type the kernels can run.
 *
 * <p>The check happens once, at open, so that a model EdgeLM cannot run fails with one line naming the tensor and
 * its type, rather than deep inside a forward pass. {@code edgelm info} opens files with {@link GgufFile} directly,
 * so it still describes such models.
 */
public final class ModelFile implements AutoCloseable {
    private final GgufFile gguf;

    private ModelFile(GgufFile gguf) {
        this.gguf = gguf;
    }

    /**
     * Opens {@code path} (any part of a split model) and checks its tensor types.
     *
     * @throws IOException                     if the file cannot be read
     * @throws dev.edgelm.gguf.GgufFormatException if it is not a valid GGUF file
     * @throws UnsupportedTensorTypeException  if a tensor has a type the kernels cannot run
     */
    public static ModelFile open(Path path) throws IOException {
        GgufFile gguf = GgufFile.open(path);
        try {
            requireSupportedTypes(gguf);
            return new ModelFile(gguf);
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /** The first tensor, in file order, whose type the kernels cannot run, as an exception. */
    static void requireSupportedTypes(GgufFile gguf) {
        for (GgufTensor tensor : gguf.tensors()) {
            if (tensor.type().blockFormat().isEmpty()) {
                throw new UnsupportedTensorTypeException(gguf.parts().getFirst().source(), tensor.name(),
                        tensor.type());
            }
        }
    }

    /** The types the kernels can run, as ggml names them. */
    public static String supportedTypeNames() {
        return Arrays.stream(GgmlType.values())
                .filter(type -> type.blockFormat().isPresent())
                .map(GgmlType::ggmlName)
                .collect(Collectors.joining(", "));
    }

    /** The underlying file; valid until {@link #close()}. */
    public GgufFile gguf() {
        return gguf;
    }

    @Override
    public void close() {
        gguf.close();
    }
}
