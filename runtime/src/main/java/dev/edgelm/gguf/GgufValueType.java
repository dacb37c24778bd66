package dev.edgelm.gguf;

import java.util.Optional;

/** The kinds of metadata value GGUF stores, with their on-disk ids (gguf.h's {@code gguf_type}). */
public enum GgufValueType {
    UINT8("u8", 1),
    INT8("i8", 1),
    UINT16("u16", 2),
    INT16("i16", 2),
    UINT32("u32", 4),
    INT32("i32", 4),
    FLOAT32("f32", 4),
    BOOL("bool", 1),
    STRING("str", 0),
    ARRAY("arr", 0),
    UINT64("u64", 8),
    INT64("i64", 8),
    FLOAT64("f64", 8);

    private static final GgufValueType[] BY_ID = values();

    private final String shortName;
    private final int size;

    GgufValueType(String shortName, int size) {
        this.shortName = shortName;
        this.size = size;
    }

    /** The id stored in the file; ids follow declaration order. */
    public int id() {
        return ordinal();
    }

    /** gguf.cpp's short name ({@code "u32"}, {@code "str"}), used in messages. */
    public String shortName() {
        return shortName;
    }

    /** Bytes of one value, or 0 for the variable-length {@link #STRING} and {@link #ARRAY}. */
    public int size() {
        return size;
    }

    /** Whether values are fixed-size numbers or booleans (everything but strings and arrays). */
    public boolean isPrimitive() {
        return size > 0;
    }

    /** Whether values are integers (signed or unsigned, any width). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether values are IEEE floating point. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** The type with this id, or empty if the id is unknown. */
    public static Optional<GgufValueType> fromId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }
}
