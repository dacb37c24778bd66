package dev.edgelm.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds a GGUF v3 file laid out exactly as gguf.cpp writes one, so llama.cpp loads it: header, metadata in the
 * order given, tensor infos in the order added, zero padding to {@code general.alignment} (default 32), then each
 * tensor's data at its aligned offset from the data section's start, each followed by zero padding.
 *
 * <p>Tensor data is produced while writing, straight into the memory-mapped output file, so a multi-gigabyte model
 * never has to be on the heap: pass a {@link TensorData} that fills its slice, or none at all to leave the tensor
 * zero (the file stays sparse where nothing is written). Byte arrays and segments passed in are not copied and must
 * not change before {@link #write}.
 *
 * <p>Not thread-safe; a writer can write any number of times.
 */
public final class GgufWriter {
    /** The GGUF version written. */
    public static final int VERSION = 3;
    /** The alignment used unless {@code general.alignment} says otherwise. */
    public static final int DEFAULT_ALIGNMENT = GgufReader.DEFAULT_ALIGNMENT;
    /** Longest tensor name, in UTF-8 bytes, that llama.cpp accepts (GGML_MAX_NAME - 1). */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    /**
     * Fills a tensor's bytes in the output.
     */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Writes the tensor into {@code target}, called once per {@link GgufWriter#write} on the writing thread.
         *
         * @param target exactly the tensor's bytes, zero-filled, valid only during this call, and writable from other
         *     threads during it (a large tensor can be filled in parallel)
         */
        void writeTo(MemorySegment target) throws IOException;
    }

    private record Entry(byte[] key, GgufValue value) {
    }

    private record PendingTensor(byte[] name, GgmlType type, long[] dims, long bytes, TensorData data) {
    }

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();
    private long alignment = DEFAULT_ALIGNMENT;

    /**
     * Sets {@code key} to {@code value}. A new key goes last; an existing key keeps its place and takes the new value.
     * {@code general.alignment} must be a {@code u32} power of two and sets the data alignment.
     *
     * @throws IllegalArgumentException if the key is empty, a string is not valid Unicode, or the alignment is bad
     */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        byte[] keyBytes = Utf8.encode(Objects.requireNonNull(key, "key"));
        if (keyBytes.length == 0) {
            throw new IllegalArgumentException("metadata keys cannot be empty");
        }
        checkStrings(value);
        if (key.equals(GgufReader.ALIGNMENT_KEY)) {
            if (!(value instanceof GgufValue.UInt32(long a)) || a == 0 || (a & (a - 1)) != 0) {
                throw new IllegalArgumentException(key + " must be a u32 power of two, got " + value);
            }
            alignment = a;
        }
        metadata.put(key, new Entry(keyBytes, value));
        return this;
    }

    /** Sets a {@code str} value. */
    public GgufWriter putString(String key, String value) {
        return put(key, new GgufValue.Str(value));
    }

    /** Sets a {@code u32} value. */
    public GgufWriter putUInt32(String key, long value) {
        return put(key, new GgufValue.UInt32(value));
    }

    /** Sets an {@code i32} value. */
    public GgufWriter putInt32(String key, int value) {
        return put(key, new GgufValue.Int32(value));
    }

    /** Sets an {@code f32} value. */
    public GgufWriter putFloat32(String key, float value) {
        return put(key, new GgufValue.Float32(value));
    }

    /** Sets a {@code bool} value. */
    public GgufWriter putBoolean(String key, boolean value) {
        return put(key, new GgufValue.Bool(value));
    }

    /** Sets every entry of {@code source}, in its order (for copying a model's metadata). */
    public GgufWriter putAll(GgufMetadata source) {
        source.asMap().forEach(this::put);
        return this;
    }

    /** Removes {@code key} if present (removing {@code general.alignment} restores the default alignment). */
    public GgufWriter remove(String key) {
        if (metadata.remove(key) != null && key.equals(GgufReader.ALIGNMENT_KEY)) {
            alignment = DEFAULT_ALIGNMENT;
        }
        return this;
    }

    /** Sets the data alignment, as {@code general.alignment}. */
    public GgufWriter alignment(long alignment) {
        return put(GgufReader.ALIGNMENT_KEY, new GgufValue.UInt32(alignment));
    }

    /**
     * Adds a tensor whose bytes {@code data} fills during {@link #write}.
     *
     * @param dims the shape in ggml order ({@code dims[0]} is the row length), 1 to 4 dimensions, each {@code >= 0}
     * @throws IllegalArgumentException if the name is empty, too long for llama.cpp, not valid Unicode or already
     *                                  used, or the shape is invalid for {@code type}
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorData data) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        byte[] nameBytes = Utf8.encode(Objects.requireNonNull(name, "name"));
        if (nameBytes.length == 0 || nameBytes.length > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must be 1 to " + MAX_TENSOR_NAME_BYTES
                    + " UTF-8 bytes long (llama.cpp's limit), not " + nameBytes.length);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long[] shape = dims.clone();
        tensors.put(name, new PendingTensor(nameBytes, type, shape, bytes(name, type, shape), data));
        return this;
    }

    private static long bytes(String name, GgmlType type, long[] dims) {
        if (dims.length < 1 || dims.length > 4) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + dims.length
                    + " dimensions, expected 1 to 4");
        }
        try {
            return type.tensorBytes(dims);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(dims)
                    + " is too large", e);
        }
    }

    /**
     * Adds a tensor with the given bytes (not copied).
     *
     * @throws IllegalArgumentException as {@link #addTensor(String, GgmlType, long[], TensorData)}, or if
     *                                  {@code data} is not exactly the tensor's size
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment data) {
        long expected = bytes(name, type, dims.clone());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type.ggmlName() + " and shape "
                    + Arrays.toString(dims) + " takes " + expected + " bytes, got " + data.byteSize());
        }
        return addTensor(name, type, dims, target -> MemorySegment.copy(data, 0, target, 0, expected));
    }

    /** Adds a tensor with the given bytes (not copied). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    /** Adds a tensor whose bytes are all zero; in a file they take no disk space where the file system is sparse. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims) {
        return addTensor(name, type, dims, target -> { });
    }

    /** The size of the file {@link #write} produces. */
    public long size() {
        long total = dataOffset();
        for (PendingTensor t : tensors.values()) {
            total = Math.addExact(total, alignUp(t.bytes));
        }
        return total;
    }

    /**
     * Writes the file through a memory mapping of a temporary file next to {@code path}, then renames it into place.
     * Renaming (rather than truncating and rewriting) leaves any existing file intact for whoever has it mapped, and
     * leaves no partial file behind on failure. The data is not forced to disk.
     *
     * @throws IOException if the file cannot be written or a {@link TensorData} fails
     */
    public void write(Path path) throws IOException {
        long size = size();
        Path absolute = path.toAbsolutePath();
        // Not Files.createTempFile: its owner-only permissions would end up on the model file.
        Path temp = absolute.resolveSibling(absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            // Shared so that a TensorData can fill its target from several threads.
            try (channel; Arena arena = Arena.ofShared()) {
                // A fresh file maps as zeros, which is what the padding and unwritten tensors must be.
                writeTo(channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /**
     * The file as bytes, for small files (tests, fixtures).
     *
     * @throws IllegalStateException if the file would be 2 GB or more
     * @throws UncheckedIOException if a {@link TensorData} fails
     */
    public byte[] toByteArray() {
        long size = size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a " + size + "-byte file does not fit in a byte array; write it to a"
                    + " path");
        }
        byte[] bytes = new byte[(int) size];
        try {
            writeTo(MemorySegment.ofArray(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes;
    }

    /** Writes the whole file into {@code out}, which must be zero-filled and exactly {@link #size()} bytes. */
    private void writeTo(MemorySegment out) throws IOException {
        Output o = new Output(out);
        o.u32(GgufReader.MAGIC);
        o.u32(VERSION);
        o.u64(tensors.size());
        o.u64(metadata.size());
        for (Entry e : metadata.values()) {
            o.string(e.key);
            o.u32(e.value.type().id());
            o.value(e.value);
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        int i = 0;
        for (PendingTensor t : tensors.values()) {
            o.string(t.name);
            o.u32(t.dims.length);
            for (long d : t.dims) {
                o.u64(d);
            }
            o.u32(t.type.id());
            o.u64(offset);
            offsets[i++] = offset;
            offset += alignUp(t.bytes);
        }
        long dataStart = alignUp(o.pos);
        i = 0;
        for (PendingTensor t : tensors.values()) {
            t.data.writeTo(out.asSlice(dataStart + offsets[i++], t.bytes));
        }
    }

    private long dataOffset() {
        long n = 4 + 4 + 8 + 8;
        for (Entry e : metadata.values()) {
            n += Long.BYTES + e.key.length + 4 + valueBytes(e.value);
        }
        for (PendingTensor t : tensors.values()) {
            n += Long.BYTES + t.name.length + 4 + 8L * t.dims.length + 4 + 8;
        }
        return alignUp(n);
    }

    /** Bytes of a value after its type tag. */
    private static long valueBytes(GgufValue value) {
        return switch (value) {
            case GgufValue.Str(String s) -> Long.BYTES + Utf8.encode(s).length;
            case GgufNumericArray a -> 4 + 8 + a.data().byteSize();
            case GgufStringArray a -> 4 + 8 + a.encoded().byteSize();
            case GgufNestedArray a -> {
                long n = 4 + 8;
                for (GgufArray element : a.elements()) {
                    n += valueBytes(element);
                }
                yield n;
            }
            default -> value.type().size();
        };
    }

    /** Fails early, at {@link #put}, for strings that cannot be encoded (rather than halfway through a write). */
    private static void checkStrings(GgufValue value) {
        switch (value) {
            case GgufValue.Str(String s) -> Utf8.encode(s);
            case GgufNestedArray a -> a.elements().forEach(GgufWriter::checkStrings);
            default -> {
            }
        }
    }

    private long alignUp(long n) {
        return (n + alignment - 1) & -alignment;
    }

    /** A cursor writing little-endian GGUF fields into the output. */
    private static final class Output {
        private final MemorySegment out;
        private long pos;

        Output(MemorySegment out) {
            this.out = out;
        }

        void u32(long v) {
            out.set(Le.I32, pos, (int) v);
            pos += 4;
        }

        void u64(long v) {
            out.set(Le.I64, pos, v);
            pos += 8;
        }

        void string(byte[] utf8) {
            u64(utf8.length);
            bytes(MemorySegment.ofArray(utf8));
        }

        void bytes(MemorySegment source) {
            MemorySegment.copy(source, 0, out, pos, source.byteSize());
            pos += source.byteSize();
        }

        void value(GgufValue value) {
            switch (value) {
                case GgufValue.Str(String s) -> string(Utf8.encode(s));
                case GgufNumericArray a -> {
                    arrayHeader(a);
                    bytes(a.data());
                }
                case GgufStringArray a -> {
                    arrayHeader(a);
                    bytes(a.encoded());
                }
                case GgufNestedArray a -> {
                    arrayHeader(a);
                    a.elements().forEach(this::value);
                }
                default -> {
                    scalar(value);
                    pos += value.type().size();
                }
            }
        }

        private void scalar(GgufValue value) {
            switch (value) {
                case GgufValue.UInt8(int v) -> out.set(Le.I8, pos, (byte) v);
                case GgufValue.Int8(byte v) -> out.set(Le.I8, pos, v);
                case GgufValue.UInt16(int v) -> out.set(Le.I16, pos, (short) v);
                case GgufValue.Int16(short v) -> out.set(Le.I16, pos, v);
                case GgufValue.UInt32(long v) -> out.set(Le.I32, pos, (int) v);
                case GgufValue.Int32(int v) -> out.set(Le.I32, pos, v);
                case GgufValue.UInt64(long v) -> out.set(Le.I64, pos, v);
                case GgufValue.Int64(long v) -> out.set(Le.I64, pos, v);
                case GgufValue.Float32(float v) -> out.set(Le.F32, pos, v);
                case GgufValue.Float64(double v) -> out.set(Le.F64, pos, v);
                case GgufValue.Bool(boolean v) -> out.set(Le.I8, pos, (byte) (v ? 1 : 0));
                case GgufValue.Str s -> throw new IllegalArgumentException("not a scalar: " + s);
                case GgufArray a -> throw new IllegalArgumentException("not a scalar: " + a);
            }
        }

        private void arrayHeader(GgufArray array) {
            u32(array.elementType().id());
            u64(array.size());
        }
    }
}
