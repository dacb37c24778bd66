package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses one GGUF file held in a {@link MemorySegment} (normally the whole file, memory-mapped).
 *
 * <p>Hostile input is the design case. Every count and length is checked against the bytes left in the file before
 * anything is allocated for it, every loop consumes file bytes (so parsing ends in time linear in the file size),
 * and nothing big is copied: arrays become views of the segment and tensors are slices of it. Each failure is a
 * {@link GgufFormatException} naming the byte offset of the offending field.
 *
 * <p>Where the checks differ from gguf.cpp's: tensors may be in any order and have gaps between them, as long as
 * they are aligned and do not overlap (gguf.cpp insists on its own packing); invalid UTF-8 is rejected everywhere
 * (gguf-py decodes strictly and converters write valid UTF-8, while replacing bytes would silently change token text
 * and break bit-exact rewriting; decoding is injective only for valid UTF-8, which the duplicate checks rely on);
 * empty tensor names and tensors with no dimensions are rejected (no writer produces them: ggml_n_dims is at least
 * 1); nested arrays are read (gguf-py writes them; gguf.cpp refuses them). Dimensions of 0 are accepted, as in
 * gguf.cpp: such a tensor is empty.
 */
final class GgufReader {
    /** gguf.cpp's GGUF_MAX_STRING_LENGTH: longer strings are refused there too. */
    static final long MAX_STRING_BYTES = 1L << 30;
    /** gguf.cpp's GGUF_MAX_ARRAY_ELEMENTS; also bounds the tensor and key counts, as gguf-py does. */
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    /** Arrays of arrays may nest this deep (gguf-py allows any depth; no model uses more than one level). */
    static final int MAX_ARRAY_DEPTH = 8;
    /**
     * At most this many arrays inside arrays per file: each costs a Java object for 12 file bytes, so without a cap
     * a hostile file could turn its size into several times as much heap. Real models use none.
     */
    static final int MAX_NESTED_ARRAYS = 1 << 16;
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;

    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1; // key length, one key byte, type, a one-byte value
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8; // name, 1 dim, type, offset
    private static final int MIN_ARRAY_BYTES = 4 + 8; // element type and length of an inner array

    /** What the reader learnt from one file. {@code tensorInfoOffsets[i]} is where tensor i's info starts. */
    record Parsed(int version, long alignment, long dataOffset, long size, GgufMetadata metadata,
                  List<GgufTensor> tensors, long[] tensorInfoOffsets) {
    }

    private record TensorInfo(String name, GgmlType type, long[] dims, long offset, long bytes, long infoAt,
                              long offsetAt) {
    }

    private final MemorySegment file;
    private final long size;
    private final String source;
    private long pos;
    private String item = "the header";
    private int nestedArrays;

    private GgufReader(MemorySegment file, String source) {
        this.file = file;
        this.size = file.byteSize();
        this.source = source;
    }

    /**
     * Parses {@code file}; the result's arrays and tensors are views of it.
     *
     * @param source names the file in error messages
     * @throws GgufFormatException if the file is not well-formed GGUF v2 or v3
     */
    static Parsed parse(MemorySegment file, String source) {
        return new GgufReader(file, source).parse();
    }

    private Parsed parse() {
        if (size < 4 || file.get(Le.I32, 0) != MAGIC) {
            byte[] head = file.asSlice(0, Math.min(size, 4)).toArray(Le.I8);
            throw fail(0, "expected the magic 'GGUF' (47 47 55 46), found " + hex(head)
                    + (size < 4 ? " and the end of the " + size + "-byte file" : ""));
        }
        pos = 4;
        long versionAt = pos;
        long version = u32("the version");
        if (version == 1) {
            throw fail(versionAt, "GGUF version 1 is not supported (it used 32-bit lengths);"
                    + " convert the model again with a current llama.cpp");
        }
        if (version != 2 && version != 3) {
            throw fail(versionAt, "unsupported GGUF version " + version + ", expected 2 or 3"
                    + (version != 0 && (version & 0xFFFF) == 0
                    ? " (this looks like a big-endian file, which is not supported)"
                    : ""));
        }
        long tensorCountAt = pos;
        long tensorCount = u64("the tensor count");
        long kvCountAt = pos;
        long kvCount = u64("the metadata key-value count");
        checkCount(tensorCountAt, "tensor count", tensorCount, MIN_TENSOR_INFO_BYTES, "tensor info");
        checkCount(kvCountAt, "metadata key-value count", kvCount, MIN_KV_BYTES, "key-value pair");

        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        Map<String, Long> offsets = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            item = "metadata entry " + i;
            long keyAt = pos;
            String key = string("a metadata key");
            if (key.isEmpty()) {
                throw fail(keyAt, "metadata key " + i + " is empty");
            }
            if (values.containsKey(key)) {
                throw fail(keyAt, "duplicate metadata key '" + key + "' (first value at offset " + offsets.get(key)
                        + ")");
            }
            item = "metadata key '" + key + "'";
            GgufValueType type = valueType("the value type");
            offsets.put(key, pos);
            values.put(key, value(type));
        }
        long alignment = alignment(values, offsets);
        GgufMetadata metadata = new GgufMetadata(source, values, offsets);

        List<TensorInfo> infos = new ArrayList<>();
        Map<String, TensorInfo> byName = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            item = "tensor info " + i;
            TensorInfo info = tensorInfo(i, alignment);
            TensorInfo previous = byName.putIfAbsent(info.name, info);
            if (previous != null) {
                throw fail(info.infoAt, "duplicate tensor name '" + info.name + "' (first at offset "
                        + previous.infoAt + ")");
            }
            infos.add(info);
        }
        item = null;

        // gguf.cpp pads to the alignment only when there are tensors; so do we, to agree on dataOffset.
        long dataOffset = pos;
        if (tensorCount > 0) {
            dataOffset = alignUp(pos, alignment);
            if (dataOffset > size) {
                throw fail(pos, "expected padding up to the data section at offset " + dataOffset + " (alignment "
                        + alignment + ") but the file ends at byte " + size);
            }
        }
        checkExtents(infos, dataOffset);

        List<GgufTensor> tensors = new ArrayList<>(infos.size());
        long[] infoOffsets = new long[infos.size()];
        for (TensorInfo info : infos) {
            MemorySegment data = file.asSlice(dataOffset + info.offset, info.bytes);
            infoOffsets[tensors.size()] = info.infoAt;
            tensors.add(new GgufTensor(info.name, info.type, info.dims, info.offset, data));
        }
        return new Parsed((int) version, alignment, dataOffset, size, metadata, List.copyOf(tensors), infoOffsets);
    }

    private void checkCount(long at, String what, long count, int minBytes, String unit) {
        long remaining = size - pos;
        if (count < 0 || count > MAX_ARRAY_ELEMENTS || count > remaining / minBytes) {
            throw fail(at, what + " " + Long.toUnsignedString(count) + " cannot fit in a " + size + "-byte file"
                    + " (a " + unit + " takes at least " + minBytes + " bytes and " + remaining
                    + " bytes follow the header)");
        }
    }

    private long alignment(Map<String, GgufValue> values, Map<String, Long> offsets) {
        GgufValue value = values.get(ALIGNMENT_KEY);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        long at = offsets.get(ALIGNMENT_KEY);
        if (!(value instanceof GgufValue.UInt32(long alignment))) {
            throw fail(at, ALIGNMENT_KEY + " must be a u32, found " + describe(value));
        }
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
            throw fail(at, ALIGNMENT_KEY + " is " + alignment + ", expected a power of two");
        }
        return alignment;
    }

    private TensorInfo tensorInfo(long index, long alignment) {
        long infoAt = pos;
        String name = string("a tensor name");
        if (name.isEmpty()) {
            throw fail(infoAt, "tensor " + index + " has an empty name");
        }
        item = "tensor '" + name + "'";
        long rankAt = pos;
        long rank = u32("the dimension count");
        if (rank < 1 || rank > 4) {
            throw fail(rankAt, "tensor '" + name + "' has " + rank + " dimensions, expected 1 to 4");
        }
        long[] dims = new long[(int) rank];
        long elements = 1;
        for (int d = 0; d < rank; d++) {
            long dimAt = pos;
            dims[d] = u64("a dimension");
            if (dims[d] < 0) {
                throw fail(dimAt, "tensor '" + name + "' dimension " + d + " is "
                        + Long.toUnsignedString(dims[d]) + ", above the largest count ggml allows (2^63-1)");
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw fail(dimAt, "tensor '" + name + "' has more than 2^63-1 elements (dimensions so far "
                        + Arrays.toString(Arrays.copyOf(dims, d + 1)) + ")");
            }
        }
        long typeAt = pos;
        long typeId = u32("the tensor type");
        Optional<GgmlType> known = typeId <= Integer.MAX_VALUE ? GgmlType.fromId((int) typeId) : Optional.empty();
        GgmlType type = known.orElseThrow(() -> fail(typeAt, GgmlType.retired(typeId)
                .map(retired -> "tensor '" + name + "' has type " + typeId + ", " + retired
                        + ", which this EdgeLM no longer reads: run edgelm repack on the original file again")
                .orElse("tensor '" + name + "' has unknown ggml type " + typeId)));
        if (dims[0] % type.blockSize() != 0) {
            throw fail(typeAt, "tensor '" + name + "' of type " + type.ggmlName() + " has rows of " + dims[0]
                    + " values, not a multiple of its " + type.blockSize() + "-value blocks");
        }
        long bytes;
        try {
            bytes = type.tensorBytes(dims);
        } catch (ArithmeticException e) {
            throw fail(typeAt, "tensor '" + name + "' of type " + type.ggmlName() + " and shape "
                    + Arrays.toString(dims) + " has a size in bytes above 2^63-1");
        }
        long offsetAt = pos;
        long offset = u64("the tensor data offset");
        if (offset < 0 || offset % alignment != 0) {
            throw fail(offsetAt, "tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                    + ", expected a multiple of the alignment " + alignment);
        }
        return new TensorInfo(name, type, dims, offset, bytes, infoAt, offsetAt);
    }

    private void checkExtents(List<TensorInfo> infos, long dataOffset) {
        long dataBytes = size - dataOffset;
        for (TensorInfo t : infos) {
            if (t.offset > dataBytes || t.bytes > dataBytes - t.offset) {
                throw fail(t.offsetAt, "tensor '" + t.name + "' needs " + t.bytes + " bytes at data offset "
                        + t.offset + " but the data section holds " + dataBytes + " bytes (file offsets "
                        + dataOffset + " to " + size + ")");
            }
        }
        TensorInfo[] sorted = infos.toArray(TensorInfo[]::new);
        Arrays.sort(sorted, Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::bytes));
        for (int k = 1; k < sorted.length; k++) {
            TensorInfo before = sorted[k - 1];
            TensorInfo t = sorted[k];
            if (t.offset < before.offset + before.bytes) {
                throw fail(t.offsetAt, "tensor '" + t.name + "' data [" + t.offset + ", " + (t.offset + t.bytes)
                        + ") overlaps tensor '" + before.name + "' data [" + before.offset + ", "
                        + (before.offset + before.bytes) + ")");
            }
        }
    }

    private GgufValue value(GgufValueType type) {
        return switch (type) {
            case UINT8 -> new GgufValue.UInt8(Byte.toUnsignedInt(file.get(Le.I8, take(1, "a u8"))));
            case INT8 -> new GgufValue.Int8(file.get(Le.I8, take(1, "an i8")));
            case UINT16 -> new GgufValue.UInt16(Short.toUnsignedInt(file.get(Le.I16, take(2, "a u16"))));
            case INT16 -> new GgufValue.Int16(file.get(Le.I16, take(2, "an i16")));
            case UINT32 -> new GgufValue.UInt32(Integer.toUnsignedLong(file.get(Le.I32, take(4, "a u32"))));
            case INT32 -> new GgufValue.Int32(file.get(Le.I32, take(4, "an i32")));
            case FLOAT32 -> new GgufValue.Float32(file.get(Le.F32, take(4, "an f32")));
            case BOOL -> new GgufValue.Bool(file.get(Le.I8, take(1, "a bool")) != 0);
            case STRING -> new GgufValue.Str(string("a string"));
            case ARRAY -> array(1);
            case UINT64 -> new GgufValue.UInt64(file.get(Le.I64, take(8, "a u64")));
            case INT64 -> new GgufValue.Int64(file.get(Le.I64, take(8, "an i64")));
            case FLOAT64 -> new GgufValue.Float64(file.get(Le.F64, take(8, "an f64")));
        };
    }

    private GgufArray array(int depth) {
        long at = pos;
        if (depth > MAX_ARRAY_DEPTH) {
            throw fail(at, "arrays are nested more than " + MAX_ARRAY_DEPTH + " deep in " + item);
        }
        GgufValueType elementType = valueType("an array element type");
        long lengthAt = pos;
        long length = u64("an array length");
        int minBytes = switch (elementType) {
            case STRING -> Long.BYTES;
            case ARRAY -> MIN_ARRAY_BYTES;
            default -> elementType.size();
        };
        long remaining = size - pos;
        if (length < 0 || length > MAX_ARRAY_ELEMENTS || length > remaining / minBytes) {
            throw fail(lengthAt, "array of " + Long.toUnsignedString(length) + " " + elementType.shortName()
                    + " values in " + item + " cannot fit in the " + remaining + " bytes left in the file"
                    + (length > MAX_ARRAY_ELEMENTS ? " (and exceeds the limit of " + MAX_ARRAY_ELEMENTS
                    + " elements)" : ""));
        }
        int count = (int) length;
        return switch (elementType) {
            case STRING -> strings(count);
            case ARRAY -> {
                if (count > MAX_NESTED_ARRAYS - nestedArrays) {
                    throw fail(lengthAt, "more than " + MAX_NESTED_ARRAYS + " arrays nested in arrays (at "
                            + item + ")");
                }
                nestedArrays += count;
                List<GgufArray> elements = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    elements.add(array(depth + 1));
                }
                yield new GgufNestedArray(elements);
            }
            default -> {
                long bytes = length * elementType.size();
                GgufNumericArray numbers = new GgufNumericArray(elementType, file.asSlice(pos, bytes));
                pos += bytes;
                yield numbers;
            }
        };
    }

    private GgufStringArray strings(int count) {
        long start = pos;
        long[] index = new long[(count + GgufStringArray.INDEX_STRIDE - 1) / GgufStringArray.INDEX_STRIDE];
        for (int i = 0; i < count; i++) {
            if (i % GgufStringArray.INDEX_STRIDE == 0) {
                index[i / GgufStringArray.INDEX_STRIDE] = pos - start;
            }
            pos += checkedString("an array string");
        }
        return new GgufStringArray(file.asSlice(start, pos - start), count, index);
    }

    private String string(String what) {
        long at = pos;
        long encoded = checkedString(what);
        pos = at + encoded;
        return new String(file.asSlice(at + Long.BYTES, encoded - Long.BYTES).toArray(Le.I8),
                StandardCharsets.UTF_8);
    }

    /**
     * Checks the string at {@code pos} (length in bounds, well-formed UTF-8) without moving, and returns its encoded
     * size (length field included).
     */
    private long checkedString(String what) {
        long at = pos;
        need(Long.BYTES, what + " length");
        long length = file.get(Le.I64, at);
        long remaining = size - at - Long.BYTES;
        if (length < 0 || length > MAX_STRING_BYTES || length > remaining) {
            throw fail(at, what + " of " + Long.toUnsignedString(length) + " bytes in " + item
                    + " cannot fit in the " + remaining + " bytes left in the file"
                    + (length > MAX_STRING_BYTES ? " (and exceeds the limit of " + MAX_STRING_BYTES + " bytes)"
                    : ""));
        }
        long invalid = Utf8.firstInvalid(file, at + Long.BYTES, length);
        if (invalid >= 0) {
            throw fail(invalid, "invalid UTF-8 (byte 0x" + Integer.toHexString(file.get(Le.I8, invalid) & 0xFF)
                    + ") in " + what + " in " + item);
        }
        return Long.BYTES + length;
    }

    private GgufValueType valueType(String what) {
        long at = pos;
        long id = u32(what);
        return GgufValueType.fromId(id).orElseThrow(() -> fail(at, "unknown metadata value type " + id + " in "
                + item + ", expected 0 to " + (GgufValueType.values().length - 1)));
    }

    private long u32(String what) {
        return Integer.toUnsignedLong(file.get(Le.I32, take(4, what)));
    }

    private long u64(String what) {
        return file.get(Le.I64, take(8, what));
    }

    /** Claims the next {@code n} bytes: returns their offset and moves past them. */
    private long take(int n, String what) {
        need(n, what);
        long at = pos;
        pos += n;
        return at;
    }

    /** Fails unless {@code n} bytes remain at {@code pos}. */
    private void need(int n, String what) {
        if (n > size - pos) {
            throw fail(pos, "expected " + what + " (" + n + " bytes)" + (item == null ? "" : " in " + item)
                    + " but the file ends at byte " + size);
        }
    }

    private GgufFormatException fail(long at, String detail) {
        return new GgufFormatException(source, at, detail);
    }

    private static String describe(GgufValue value) {
        return value instanceof GgufArray array ? "an array of " + array.elementType().shortName()
                : value.type().shortName();
    }

    private static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) & -alignment;
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(s.isEmpty() ? "" : " ").append(String.format("%02x", b & 0xFF));
        }
        return s.isEmpty() ? "nothing" : s.toString();
    }
}
