package dev.edgelm.gguf;

import java.util.List;

/**
 * An array of arrays; each inner array has its own element type and length, as gguf-py writes them.
 *
 * <p>gguf.cpp (and so llama.cpp) rejects files with nested arrays: keep them out of files meant for llama.cpp.
 */
public record GgufNestedArray(List<GgufArray> elements) implements GgufArray {
    public GgufNestedArray {
        elements = List.copyOf(elements);
    }

    @Override
    public GgufValueType elementType() {
        return GgufValueType.ARRAY;
    }

    @Override
    public int size() {
        return elements.size();
    }
}
