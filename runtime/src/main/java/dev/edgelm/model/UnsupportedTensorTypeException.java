package dev.edgelm.model;

import dev.edgelm.gguf.GgmlType;

/** A model has a tensor whose type the kernels cannot run (yet): the message names the file, tensor and type. */
public final class UnsupportedTensorTypeException extends RuntimeException {
    private final String tensor;
    private final GgmlType type;

    UnsupportedTensorTypeException(String source, String tensor, GgmlType type) {
        super(source + ": tensor '" + tensor + "' has type " + type.ggmlName()
                + ", which EdgeLM cannot run yet (it runs " + ModelFile.supportedTypeNames() + ")");
        this.tensor = tensor;
        this.type = type;
    }

    /** The first tensor found with an unsupported type. */
    public String tensor() {
        return tensor;
    }

    /** Its type. */
    public GgmlType type() {
        return type;
    }
}
