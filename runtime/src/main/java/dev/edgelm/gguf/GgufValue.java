package dev.edgelm.gguf;

import java.util.Objects;

/**
 * One GGUF metadata value: a record per scalar kind, or a {@link GgufArray}.
 *
 * <p>Each record keeps its exact GGUF type so that a file read and written again is identical. Unsigned kinds hold
 * their value in a wider Java type ({@link UInt32} in a {@code long}), except {@link UInt64}, which holds the raw
 * 64 bits.
 */
public sealed interface GgufValue
        permits GgufValue.UInt8, GgufValue.Int8, GgufValue.UInt16, GgufValue.Int16, GgufValue.UInt32,
        GgufValue.Int32, GgufValue.UInt64, GgufValue.Int64, GgufValue.Float32, GgufValue.Float64,
        GgufValue.Bool, GgufValue.Str, GgufArray {

    /** The GGUF type of this value ({@link GgufValueType#ARRAY} for arrays). */
    GgufValueType type();

    /** A {@code u8}: 0 to 255. */
    record UInt8(int value) implements GgufValue {
        public UInt8 {
            if (value < 0 || value > 0xFF) {
                throw new IllegalArgumentException("u8 out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT8;
        }
    }

    /** An {@code i8}. */
    record Int8(byte value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT8;
        }
    }

    /** A {@code u16}: 0 to 65535. */
    record UInt16(int value) implements GgufValue {
        public UInt16 {
            if (value < 0 || value > 0xFFFF) {
                throw new IllegalArgumentException("u16 out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT16;
        }
    }

    /** An {@code i16}. */
    record Int16(short value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT16;
        }
    }

    /** A {@code u32}: 0 to 4294967295. */
    record UInt32(long value) implements GgufValue {
        public UInt32 {
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("u32 out of range: " + value);
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.UINT32;
        }
    }

    /** An {@code i32}. */
    record Int32(int value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT32;
        }
    }

    /** A {@code u64}; {@code bits} is the unsigned value's two's-complement bit pattern. */
    record UInt64(long bits) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.UINT64;
        }

        @Override
        public String toString() {
            return "UInt64[" + Long.toUnsignedString(bits) + "]";
        }
    }

    /** An {@code i64}. */
    record Int64(long value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.INT64;
        }
    }

    /** An {@code f32}. */
    record Float32(float value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.FLOAT32;
        }
    }

    /** An {@code f64}. */
    record Float64(double value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.FLOAT64;
        }
    }

    /** A {@code bool} (one byte; any non-zero byte reads as true, as in gguf.cpp). */
    record Bool(boolean value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }
    }

    /** A UTF-8 {@code str}. */
    record Str(String value) implements GgufValue {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.STRING;
        }
    }
}
