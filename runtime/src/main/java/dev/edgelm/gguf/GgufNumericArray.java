package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An array of fixed-size numbers or booleans, kept as its little-endian bytes (a view of the file when read).
 *
 * @param elementType any {@linkplain GgufValueType#isPrimitive() primitive} type
 * @param data the elements' bytes, little-endian, {@code size() * elementType.size()} bytes; kept read-only
 */
public record GgufNumericArray(GgufValueType elementType, MemorySegment data) implements GgufArray {

    public GgufNumericArray {
        Objects.requireNonNull(elementType, "elementType");
        if (!elementType.isPrimitive()) {
            throw new IllegalArgumentException(elementType.shortName() + " is not a numeric element type");
        }
        if (data.byteSize() % elementType.size() != 0
                || data.byteSize() / elementType.size() > GgufReader.MAX_ARRAY_ELEMENTS) {
            throw new IllegalArgumentException(data.byteSize() + " bytes do not hold a whole number of at most "
                    + GgufReader.MAX_ARRAY_ELEMENTS + " " + elementType.shortName() + " values");
        }
        data = data.asReadOnly();
    }

    /** An {@code i32} array. */
    public static GgufNumericArray ofInts(int... values) {
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * Integer.BYTES]);
        for (int i = 0; i < values.length; i++) {
            data.setAtIndex(Le.I32, i, values[i]);
        }
        return new GgufNumericArray(GgufValueType.INT32, data);
    }

    /** An {@code f32} array. */
    public static GgufNumericArray ofFloats(float... values) {
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * Float.BYTES]);
        for (int i = 0; i < values.length; i++) {
            data.setAtIndex(Le.F32, i, values[i]);
        }
        return new GgufNumericArray(GgufValueType.FLOAT32, data);
    }

    /** A {@code bool} array. */
    public static GgufNumericArray ofBooleans(boolean... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return new GgufNumericArray(GgufValueType.BOOL, MemorySegment.ofArray(bytes));
    }

    /**
     * An array of any integer type.
     *
     * @param values the values; for {@code u64}, the unsigned values' bit patterns
     * @throws IllegalArgumentException if {@code type} is not an integer type or a value is out of its range
     */
    public static GgufNumericArray ofLongs(GgufValueType type, long... values) {
        if (!type.isInteger()) {
            throw new IllegalArgumentException(type.shortName() + " is not an integer type");
        }
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * type.size()]);
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            boolean inRange = switch (type) {
                case UINT8 -> v >= 0 && v <= 0xFF;
                case INT8 -> v == (byte) v;
                case UINT16 -> v >= 0 && v <= 0xFFFF;
                case INT16 -> v == (short) v;
                case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
                case INT32 -> v == (int) v;
                default -> true;
            };
            if (!inRange) {
                throw new IllegalArgumentException(v + " is out of range for " + type.shortName());
            }
            switch (type.size()) {
                case 1 -> data.set(Le.I8, i, (byte) v);
                case 2 -> data.setAtIndex(Le.I16, i, (short) v);
                case 4 -> data.setAtIndex(Le.I32, i, (int) v);
                default -> data.setAtIndex(Le.I64, i, v);
            }
        }
        return new GgufNumericArray(type, data);
    }

    /**
     * An {@code f32} or {@code f64} array ({@code f32} rounds each value to float).
     *
     * @throws IllegalArgumentException if {@code type} is not a floating-point type
     */
    public static GgufNumericArray ofDoubles(GgufValueType type, double... values) {
        if (!type.isFloatingPoint()) {
            throw new IllegalArgumentException(type.shortName() + " is not a floating-point type");
        }
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * type.size()]);
        for (int i = 0; i < values.length; i++) {
            if (type == GgufValueType.FLOAT32) {
                data.setAtIndex(Le.F32, i, (float) values[i]);
            } else {
                data.setAtIndex(Le.F64, i, values[i]);
            }
        }
        return new GgufNumericArray(type, data);
    }

    @Override
    public int size() {
        return (int) (data.byteSize() / elementType.size());
    }

    /**
     * Element {@code i} of an integer or boolean array, widened (unsigned types zero-extended; {@code u64} as raw
     * bits; booleans as 0 or 1).
     *
     * @throws IllegalStateException if this is a floating-point array
     */
    public long getLong(int i) {
        Objects.checkIndex(i, size());
        return switch (elementType) {
            case UINT8, BOOL -> data.get(Le.I8, i) & 0xFFL;
            case INT8 -> data.get(Le.I8, i);
            case UINT16 -> data.getAtIndex(Le.I16, i) & 0xFFFFL;
            case INT16 -> data.getAtIndex(Le.I16, i);
            case UINT32 -> data.getAtIndex(Le.I32, i) & 0xFFFF_FFFFL;
            case INT32 -> data.getAtIndex(Le.I32, i);
            case UINT64, INT64 -> data.getAtIndex(Le.I64, i);
            default -> throw notA("integer");
        };
    }

    /**
     * Element {@code i} of a floating-point array.
     *
     * @throws IllegalStateException if this is not an {@code f32} or {@code f64} array
     */
    public double getDouble(int i) {
        Objects.checkIndex(i, size());
        return switch (elementType) {
            case FLOAT32 -> data.getAtIndex(Le.F32, i);
            case FLOAT64 -> data.getAtIndex(Le.F64, i);
            default -> throw notA("floating-point");
        };
    }

    /**
     * Element {@code i} of a {@code bool} array (any non-zero byte is true).
     *
     * @throws IllegalStateException if this is not a {@code bool} array
     */
    public boolean getBoolean(int i) {
        Objects.checkIndex(i, size());
        if (elementType != GgufValueType.BOOL) {
            throw notA("bool");
        }
        return data.get(Le.I8, i) != 0;
    }

    /**
     * The elements of an integer array as {@code int}s.
     *
     * @throws IllegalStateException if this is not an integer array or a value does not fit in an {@code int}
     */
    public int[] toIntArray() {
        if (!elementType.isInteger()) {
            throw notA("integer");
        }
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) {
            long v = getLong(i);
            if (v != (int) v || (elementType == GgufValueType.UINT64 && v < 0)) {
                throw new IllegalStateException(elementType.shortName() + " element " + i + " ("
                        + (elementType == GgufValueType.UINT64 ? Long.toUnsignedString(v) : v)
                        + ") does not fit in an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /**
     * The elements of an integer array as {@code long}s ({@code u64} as raw bits).
     *
     * @throws IllegalStateException if this is not an integer array
     */
    public long[] toLongArray() {
        if (!elementType.isInteger()) {
            throw notA("integer");
        }
        long[] out = new long[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    /**
     * The elements of a floating-point array as {@code float}s ({@code f64} rounded).
     *
     * @throws IllegalStateException if this is not an {@code f32} or {@code f64} array
     */
    public float[] toFloatArray() {
        if (!elementType.isFloatingPoint()) {
            throw notA("floating-point");
        }
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    /**
     * The elements of a floating-point array as {@code double}s.
     *
     * @throws IllegalStateException if this is not an {@code f32} or {@code f64} array
     */
    public double[] toDoubleArray() {
        if (!elementType.isFloatingPoint()) {
            throw notA("floating-point");
        }
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    private IllegalStateException notA(String kind) {
        return new IllegalStateException("this is an array of " + elementType.shortName() + ", not of " + kind
                + " values");
    }

    /** Equal when the element type and every byte are equal (so NaN payloads compare exactly). */
    @Override
    public boolean equals(Object o) {
        return o instanceof GgufNumericArray other
                && elementType == other.elementType
                && data.byteSize() == other.data.byteSize()
                && data.mismatch(other.data) == -1;
    }

    @Override
    public int hashCode() {
        int h = elementType.hashCode();
        for (long i = 0; i < data.byteSize(); i++) {
            h = 31 * h + data.get(Le.I8, i);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(elementType.shortName()).append('[');
        int shown = Math.min(size(), 8);
        for (int i = 0; i < shown; i++) {
            s.append(i == 0 ? "" : ", ");
            switch (elementType) {
                case FLOAT32, FLOAT64 -> s.append(getDouble(i));
                case BOOL -> s.append(getBoolean(i));
                case UINT64 -> s.append(Long.toUnsignedString(getLong(i)));
                default -> s.append(getLong(i));
            }
        }
        return s.append(size() > shown ? ", ... (" + size() + " values)]" : "]").toString();
    }
}
