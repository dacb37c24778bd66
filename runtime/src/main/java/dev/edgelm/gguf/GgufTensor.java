package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a GGUF file: its info and its bytes, a zero-copy slice of the file's mapping (valid while the
 * {@link GgufFile} is open).
 *
 * @param name the tensor's name
 * @param type the element type
 * @param dims the shape in ggml order: {@code dims[0]} is the row length (the fastest-varying dimension)
 * @param dataOffset the offset of the data from the start of the file's data section, as stored in the file
 * @param data the tensor's bytes, read-only, exactly {@code type.tensorBytes(dims)} long
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long dataOffset, MemorySegment data) {

    public GgufTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
        if (data.byteSize() != type.tensorBytes(dims)) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type.ggmlName() + " and shape "
                    + Arrays.toString(dims) + " takes " + type.tensorBytes(dims) + " bytes, got "
                    + data.byteSize());
        }
        data = data.asReadOnly();
    }

    /** The shape, ggml order (a copy). */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Number of dimensions (1 to 4). */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i} in ggml order; dimensions past the rank are 1, as in ggml. */
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** Number of values. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d; // cannot overflow: the reader and the constructor (through tensorBytes) checked it
        }
        return n;
    }

    /** Bytes of data. */
    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor other
                && name.equals(other.name)
                && type == other.type
                && Arrays.equals(dims, other.dims)
                && dataOffset == other.dataOffset
                && data.equals(other.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(dims), dataOffset);
    }

    @Override
    public String toString() {
        return "GgufTensor[" + name + ", " + type.ggmlName() + ", " + Arrays.toString(dims) + ", offset "
                + dataOffset + ", " + data.byteSize() + " bytes]";
    }
}
