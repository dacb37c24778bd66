package dev.edgelm.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A GGUF file's metadata: keys in file order, with typed getters whose errors name the key, its type and its byte
 * offset in the file.
 *
 * <p>{@code get*} methods throw {@link GgufFormatException} for a missing key; {@code getOptional*} methods return
 * empty for a missing key. Both throw {@link GgufFormatException} for a present key of the wrong type: a value that
 * is there but malformed is never silently ignored.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;
    private final Map<String, Long> offsets;

    /** For the reader: {@code offsets} gives each value's byte offset in {@code source}. */
    GgufMetadata(String source, Map<String, GgufValue> values, Map<String, Long> offsets) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.offsets = Map.copyOf(offsets);
    }

    /** Metadata holding {@code values} in the map's iteration order (for tests and programs that build models). */
    public static GgufMetadata of(Map<String, ? extends GgufValue> values) {
        LinkedHashMap<String, GgufValue> copy = new LinkedHashMap<>();
        values.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, "value of " + key)));
        return new GgufMetadata(null, copy, Map.of());
    }

    /** Number of keys. */
    public int size() {
        return values.size();
    }

    /** The keys, in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** All entries, in file order, unmodifiable. */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    /** Whether {@code key} is present. */
    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The value of {@code key}, or empty. */
    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The value of {@code key}. */
    public GgufValue get(String key) {
        GgufValue value = values.get(key);
        if (value == null) {
            throw new GgufFormatException(source, -1, "missing metadata key '" + key + "'");
        }
        return value;
    }

    /** The byte offset of {@code key}'s value in the file, or empty for metadata not read from a file. */
    public OptionalLong offsetOf(String key) {
        Long offset = offsets.get(key);
        return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** A {@code str} value. */
    public String getString(String key) {
        return string(key, get(key));
    }

    /** A {@code str} value, or empty if the key is missing. */
    public Optional<String> getOptionalString(String key) {
        return find(key).map(v -> string(key, v));
    }

    /** A value of any integer type that fits in an {@code int}. */
    public int getInt(String key) {
        return toInt(key, get(key));
    }

    /** As {@link #getInt}, or empty if the key is missing. */
    public OptionalInt getOptionalInt(String key) {
        GgufValue value = values.get(key);
        return value == null ? OptionalInt.empty() : OptionalInt.of(toInt(key, value));
    }

    /** A value of any integer type that fits in a {@code long} (a {@code u64} above 2^63-1 does not). */
    public long getLong(String key) {
        return toLong(key, get(key));
    }

    /** As {@link #getLong}, or empty if the key is missing. */
    public OptionalLong getOptionalLong(String key) {
        GgufValue value = values.get(key);
        return value == null ? OptionalLong.empty() : OptionalLong.of(toLong(key, value));
    }

    /** An {@code f32} value, or an {@code f64} rounded to float. */
    public float getFloat(String key) {
        return (float) toDouble(key, get(key));
    }

    /** As {@link #getFloat}, or empty if the key is missing. */
    public Optional<Float> getOptionalFloat(String key) {
        return find(key).map(v -> (float) toDouble(key, v));
    }

    /** An {@code f32} or {@code f64} value. */
    public double getDouble(String key) {
        return toDouble(key, get(key));
    }

    /** A {@code bool} value. */
    public boolean getBoolean(String key) {
        return bool(key, get(key));
    }

    /** As {@link #getBoolean}, or empty if the key is missing. */
    public Optional<Boolean> getOptionalBoolean(String key) {
        return find(key).map(v -> bool(key, v));
    }

    /** An array of {@code str}. */
    public GgufStringArray getStringArray(String key) {
        return stringArray(key, get(key));
    }

    /** As {@link #getStringArray}, or empty if the key is missing. */
    public Optional<GgufStringArray> getOptionalStringArray(String key) {
        return find(key).map(v -> stringArray(key, v));
    }

    /** An array of numbers or booleans. */
    public GgufNumericArray getNumericArray(String key) {
        return numericArray(key, get(key));
    }

    /** As {@link #getNumericArray}, or empty if the key is missing. */
    public Optional<GgufNumericArray> getOptionalNumericArray(String key) {
        return find(key).map(v -> numericArray(key, v));
    }

    private String string(String key, GgufValue value) {
        if (value instanceof GgufValue.Str(String s)) {
            return s;
        }
        throw wrongType(key, value, "str");
    }

    private int toInt(String key, GgufValue value) {
        long v = toLong(key, value);
        if (v != (int) v) {
            throw new GgufFormatException(source, offset(key), "metadata key '" + key + "' is "
                    + value.type().shortName() + " " + v + ", which does not fit in an int");
        }
        return (int) v;
    }

    private long toLong(String key, GgufValue value) {
        return switch (value) {
            case GgufValue.UInt8(int v) -> v;
            case GgufValue.Int8(byte v) -> v;
            case GgufValue.UInt16(int v) -> v;
            case GgufValue.Int16(short v) -> v;
            case GgufValue.UInt32(long v) -> v;
            case GgufValue.Int32(int v) -> v;
            case GgufValue.Int64(long v) -> v;
            case GgufValue.UInt64(long bits) when bits >= 0 -> bits;
            case GgufValue.UInt64(long bits) -> throw new GgufFormatException(source, offset(key), "metadata key '"
                    + key + "' is u64 " + Long.toUnsignedString(bits) + ", which does not fit in a long");
            default -> throw wrongType(key, value, "an integer");
        };
    }

    private double toDouble(String key, GgufValue value) {
        return switch (value) {
            case GgufValue.Float32(float v) -> v;
            case GgufValue.Float64(double v) -> v;
            default -> throw wrongType(key, value, "f32 or f64");
        };
    }

    private boolean bool(String key, GgufValue value) {
        if (value instanceof GgufValue.Bool(boolean b)) {
            return b;
        }
        throw wrongType(key, value, "bool");
    }

    private GgufStringArray stringArray(String key, GgufValue value) {
        if (value instanceof GgufStringArray array) {
            return array;
        }
        throw wrongType(key, value, "an array of str");
    }

    private GgufNumericArray numericArray(String key, GgufValue value) {
        if (value instanceof GgufNumericArray array) {
            return array;
        }
        throw wrongType(key, value, "an array of numbers or booleans");
    }

    private GgufFormatException wrongType(String key, GgufValue value, String expected) {
        String actual = value instanceof GgufArray array
                ? "an array of " + array.elementType().shortName()
                : value.type().shortName();
        return new GgufFormatException(source, offset(key), "metadata key '" + key + "' is " + actual
                + ", expected " + expected);
    }

    private long offset(String key) {
        return offsets.getOrDefault(key, -1L);
    }

    /** Equal when both hold the same keys, in the same order, with equal values (offsets and source ignored). */
    @Override
    public boolean equals(Object o) {
        return o instanceof GgufMetadata other
                && values.equals(other.values)
                && values.keySet().stream().toList().equals(other.values.keySet().stream().toList());
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "GgufMetadata" + values;
    }
}
