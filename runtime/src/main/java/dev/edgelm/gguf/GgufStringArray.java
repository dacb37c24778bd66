package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An array of strings, kept in its GGUF encoding (a u64 length then UTF-8 bytes, per element) and decoded on access.
 *
 * <p>Read from a file it is a view of the mapping: a 150k-token vocabulary costs one small index, not 150k
 * {@code String}s, until someone asks for them. The index records the position of every
 * {@value #INDEX_STRIDE}th element, so {@link #get} skips at most {@value #INDEX_STRIDE} - 1 lengths and the index
 * stays at most 1/128 of the array's bytes even for a hostile file full of empty strings.
 */
public final class GgufStringArray implements GgufArray {
    static final int INDEX_STRIDE = 16;

    private final MemorySegment encoded;
    private final int size;
    private final long[] index;

    /** For the reader, which has validated {@code encoded} (lengths in bounds, UTF-8 well-formed). */
    GgufStringArray(MemorySegment encoded, int size, long[] index) {
        this.encoded = encoded.asReadOnly();
        this.size = size;
        this.index = index;
    }

    /**
     * An array holding {@code values}, encoded now.
     *
     * @throws IllegalArgumentException if a value has an unpaired surrogate
     */
    public static GgufStringArray of(List<String> values) {
        byte[][] utf8 = new byte[values.size()][];
        long total = 0;
        for (int i = 0; i < utf8.length; i++) {
            utf8[i] = Utf8.encode(Objects.requireNonNull(values.get(i), "null string in array"));
            total += Long.BYTES + utf8[i].length;
        }
        MemorySegment encoded = MemorySegment.ofArray(new byte[Math.toIntExact(total)]);
        long[] index = new long[(utf8.length + INDEX_STRIDE - 1) / INDEX_STRIDE];
        long at = 0;
        for (int i = 0; i < utf8.length; i++) {
            if (i % INDEX_STRIDE == 0) {
                index[i / INDEX_STRIDE] = at;
            }
            encoded.set(Le.I64, at, utf8[i].length);
            MemorySegment.copy(MemorySegment.ofArray(utf8[i]), 0, encoded, at + Long.BYTES, utf8[i].length);
            at += Long.BYTES + utf8[i].length;
        }
        return new GgufStringArray(encoded, utf8.length, index);
    }

    /** An array holding {@code values}. */
    public static GgufStringArray of(String... values) {
        return of(List.of(values));
    }

    @Override
    public GgufValueType elementType() {
        return GgufValueType.STRING;
    }

    @Override
    public int size() {
        return size;
    }

    /** Element {@code i}, decoded. */
    public String get(int i) {
        Objects.checkIndex(i, size);
        long at = index[i / INDEX_STRIDE];
        for (int k = i - i % INDEX_STRIDE; k < i; k++) {
            at += Long.BYTES + encoded.get(Le.I64, at);
        }
        int length = (int) encoded.get(Le.I64, at);
        return new String(encoded.asSlice(at + Long.BYTES, length).toArray(Le.I8), StandardCharsets.UTF_8);
    }

    /** An unmodifiable list view that decodes each element when asked. */
    public List<String> asList() {
        return new ListView();
    }

    /** The GGUF encoding of all elements, for the writer's bulk copy. */
    MemorySegment encoded() {
        return encoded;
    }

    /** Equal when both hold the same strings (the encoding is canonical, so the bytes are compared). */
    @Override
    public boolean equals(Object o) {
        return o instanceof GgufStringArray other
                && size == other.size
                && encoded.byteSize() == other.encoded.byteSize()
                && encoded.mismatch(other.encoded) == -1;
    }

    @Override
    public int hashCode() {
        int h = size;
        for (long i = 0; i < encoded.byteSize(); i++) {
            h = 31 * h + encoded.get(Le.I8, i);
        }
        return h;
    }

    @Override
    public String toString() {
        int shown = Math.min(size, 8);
        String head = String.join(", ", asList().subList(0, shown));
        return "str[" + head + (size > shown ? ", ... (" + size + " strings)]" : "]");
    }

    private final class ListView extends AbstractList<String> implements RandomAccess {
        @Override
        public String get(int i) {
            return GgufStringArray.this.get(i);
        }

        @Override
        public int size() {
            return size;
        }
    }
}
