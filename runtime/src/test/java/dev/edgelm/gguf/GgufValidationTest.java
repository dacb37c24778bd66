package dev.edgelm.gguf;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each check of the reader, on a file broken in exactly that way: the error names the offset and the problem. */
class GgufValidationTest {

    @Test
    void rejectsBadMagicAndEmptyFiles() {
        assertRejected(new byte[0], 0, "expected the magic 'GGUF' (47 47 55 46), found nothing");
        assertRejected("GGML".getBytes(StandardCharsets.US_ASCII), 0, "found 47 47 4d 4c");
        assertRejected("GG".getBytes(StandardCharsets.US_ASCII), 0, "end of the 2-byte file");
    }

    @Test
    void rejectsUnsupportedVersions() {
        assertRejected(new Raw().header(1, 0, 0).bytes(), 4, "GGUF version 1 is not supported");
        assertRejected(new Raw().header(4, 0, 0).bytes(), 4, "unsupported GGUF version 4, expected 2 or 3");
        assertRejected(new Raw().header(0x0300_0000, 0, 0).bytes(), 4, "big-endian");
    }

    @Test
    void rejectsCountsThatCannotFitBeforeAllocating() {
        byte[] file = Arrays.copyOf(new Raw().header(3, Long.MAX_VALUE, 0).bytes(), 1024);
        assertRejected(file, 8, "tensor count 9223372036854775807 cannot fit in a 1024-byte file");
        assertRejected(new Raw().header(3, -1, 0).bytes(), 8, "tensor count 18446744073709551615 cannot fit");
        assertRejected(new Raw().header(3, 0, 1L << 40).bytes(), 16, "metadata key-value count 1099511627776");
    }

    @Test
    void rejectsStringAndArrayLengthsBeyondTheFile() {
        assertRejected(new Raw().header(3, 0, 1).u64(Long.MAX_VALUE).pad(16).bytes(), 24,
                "a metadata key of 9223372036854775807 bytes in metadata entry 0 cannot fit in the 16 bytes left");
        byte[] array = new Raw().header(3, 0, 1).str("k").u32(9).u32(5).u64(1L << 29).u32(0).bytes();
        assertRejected(array, 41, "array of 536870912 i32 values in metadata key 'k' cannot fit in the 4 bytes");
        byte[] huge = new Raw().header(3, 0, 1).str("k").u32(9).u32(0).u64(1L << 31).bytes();
        assertRejected(huge, 41, "exceeds the limit of 1073741824 elements");
        byte[] strings = new Raw().header(3, 0, 1).str("k").u32(9).u32(8).u64(2).u64(1).u8('a').u64(5).bytes();
        assertRejected(strings, 58, "an array string of 5 bytes in metadata key 'k' cannot fit in the 0 bytes");
    }

    @Test
    void boundsArrayNesting() {
        Raw deep = new Raw().header(3, 0, 1).str("k").u32(9);
        for (int i = 0; i < GgufReader.MAX_ARRAY_DEPTH; i++) {
            deep.u32(9).u64(1);
        }
        deep.u32(5).u64(0);
        assertRejected(deep.bytes(), 37 + 12L * GgufReader.MAX_ARRAY_DEPTH, "nested more than 8 deep");

        Raw wide = new Raw().header(3, 0, 1).str("k").u32(9).u32(9).u64(GgufReader.MAX_NESTED_ARRAYS + 1L);
        for (int i = 0; i <= GgufReader.MAX_NESTED_ARRAYS; i++) {
            wide.u32(0).u64(0);
        }
        assertRejected(wide.bytes(), 41, "more than 65536 arrays nested in arrays");
    }

    @Test
    void rejectsBadValueTypesAndKeys() {
        assertRejected(new Raw().header(3, 0, 1).str("k").u32(13).pad(8).bytes(), 33,
                "unknown metadata value type 13 in metadata key 'k', expected 0 to 12");
        assertRejected(new Raw().header(3, 0, 1).str("k").u32(9).u32(42).u64(0).bytes(), 37,
                "unknown metadata value type 42");
        assertRejected(new Raw().header(3, 0, 1).str("").u32(0).u8(1).pad(1).bytes(), 24, "metadata key 0 is empty");
        byte[] duplicate = new Raw().header(3, 0, 2).str("k").u32(0).u8(1).str("k").u32(0).u8(2).bytes();
        assertRejected(duplicate, 38, "duplicate metadata key 'k' (first value at offset 37)");
    }

    @Test
    void checksGeneralAlignment() {
        byte[] wrongType = new Raw().header(3, 0, 1).str("general.alignment").u32(5).u32(32).bytes();
        assertRejected(wrongType, 53, "general.alignment must be a u32, found i32");
        byte[] zero = new Raw().header(3, 0, 1).str("general.alignment").u32(4).u32(0).bytes();
        assertRejected(zero, 53, "general.alignment is 0, expected a power of two");
        byte[] odd = new Raw().header(3, 0, 1).str("general.alignment").u32(4).u32(48).bytes();
        assertRejected(odd, 53, "general.alignment is 48, expected a power of two");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5})
    void rejectsDimensionCountsOutsideOneToFour(int rank) {
        byte[] file = oneTensor();
        GgufLayout.Field field = new GgufLayout(file).of(GgufLayout.Kind.RANK).getFirst();
        MemorySegment.ofArray(file).set(Le.I32, field.offset(), rank);
        assertRejected(file, field.offset(), "tensor 'w' has " + rank + " dimensions, expected 1 to 4");
    }

    @Test
    void rejectsNegativeAndOverflowingDimensions() {
        byte[] negative = oneTensor();
        GgufLayout.Field dim = new GgufLayout(negative).of(GgufLayout.Kind.DIM).getFirst();
        MemorySegment.ofArray(negative).set(Le.I64, dim.offset(), -64);
        assertRejected(negative, dim.offset(), "dimension 0 is 18446744073709551552, above the largest");

        byte[] overflow = new Raw().header(3, 1, 0).str("w").u32(2).u64(1L << 32).u64(1L << 32).u32(0).u64(0)
                .bytes();
        assertRejected(overflow, 45, "tensor 'w' has more than 2^63-1 elements");
        byte[] tooManyBytes = new Raw().header(3, 1, 0).str("w").u32(1).u64(1L << 62).u32(0).u64(0).bytes();
        assertRejected(tooManyBytes, 45, "has a size in bytes above 2^63-1");
    }

    @Test
    void acceptsEmptyTensorsAsGgufCppDoes() {
        byte[] file = new GgufWriter().addTensor("empty", GgmlType.Q8_0, new long[] {32, 0}, new byte[0])
                .addTensor("next", GgmlType.F32, new long[] {1}, new byte[4]).toByteArray();
        GgufFile parsed = GgufFile.parse(MemorySegment.ofArray(file), "empty");
        assertThat(parsed.tensor("empty").byteSize()).isZero();
        assertThat(parsed.tensor("empty").elementCount()).isZero();
    }

    @Test
    void rejectsRowsThatAreNotWholeBlocksAndUnknownTypes() {
        byte[] file = new Raw().header(3, 1, 0).str("w").u32(1).u64(33).u32(GgmlType.Q4_0.id()).u64(0).bytes();
        assertRejected(file, 45, "tensor 'w' of type q4_0 has rows of 33 values, not a multiple of its 32-value");
        for (long id : new long[] {4, 31, 37, 43, 0xFFFF_FFFFL}) {
            byte[] unknown = new Raw().header(3, 1, 0).str("w").u32(1).u64(32).u32(id).u64(0).bytes();
            assertRejected(unknown, 45, "tensor 'w' has unknown ggml type " + id);
        }
    }

    @Test
    void rejectsARetiredInterleavingWithTheWayOut() {
        // A copy edgelm repack wrote before Q4_0's nibble bytes went into pairs: read as today's layout it would
        // multiply garbage, so it is refused by its old id.
        byte[] file = new Raw().header(3, 1, 0).str("w").u32(2).u64(32).u64(16).u32(1000).u64(0).bytes();
        assertRejected(file, 53, "tensor 'w' has type 1000, q4_0_x16 as EdgeLM wrote it before 2026-12-06");
        assertRejected(file, 53, "run edgelm repack on the original file again");
        // TQ2_0's first interleaving could hold code 3, which today's kernel does not read.
        byte[] tq2 = new Raw().header(3, 1, 0).str("w").u32(2).u64(256).u64(16).u32(1002).u64(0).bytes();
        assertRejected(tq2, 53, "tensor 'w' has type 1002, tq2_0_x16 as EdgeLM first wrote it");
    }

    @Test
    void rejectsMisalignedAndOutOfFileTensorData() {
        byte[] misaligned = oneTensor();
        GgufLayout.Field offset = new GgufLayout(misaligned).of(GgufLayout.Kind.TENSOR_OFFSET).getFirst();
        MemorySegment.ofArray(misaligned).set(Le.I64, offset.offset(), 16);
        assertRejected(misaligned, offset.offset(), "data offset 16, expected a multiple of the alignment 32");

        byte[] beyond = oneTensor();
        MemorySegment.ofArray(beyond).set(Le.I64, offset.offset(), 64);
        assertRejected(beyond, offset.offset(), "tensor 'w' needs 256 bytes at data offset 64 but the data section"
                + " holds 256 bytes");
        MemorySegment.ofArray(beyond).set(Le.I64, offset.offset(), Long.MAX_VALUE - 31);
        assertRejected(beyond, offset.offset(), "tensor 'w' needs 256 bytes at data offset 9223372036854775776");

        byte[] truncated = Arrays.copyOf(oneTensor(), (int) (new GgufLayout(oneTensor()).dataOffset + 255));
        assertRejected(truncated, offset.offset(), "the data section holds 255 bytes");
    }

    @Test
    void rejectsOverlappingTensorsAndDuplicateNames() {
        byte[] file = new GgufWriter()
                .addTensor("a", GgmlType.F32, new long[] {16}, new byte[64])
                .addTensor("b", GgmlType.F32, new long[] {16}, new byte[64]).toByteArray();
        List<GgufLayout.Field> offsets = new GgufLayout(file).of(GgufLayout.Kind.TENSOR_OFFSET);
        MemorySegment.ofArray(file).set(Le.I64, offsets.get(1).offset(), 32);
        assertRejected(file, offsets.get(1).offset(), "tensor 'b' data [32, 96) overlaps tensor 'a' data [0, 64)");

        byte[] twice = new GgufWriter()
                .addTensor("a", GgmlType.F32, new long[] {1}, new byte[4])
                .addTensor("b", GgmlType.F32, new long[] {1}, new byte[4]).toByteArray();
        GgufLayout.Field second = new GgufLayout(twice).of(GgufLayout.Kind.STRING_BYTES).get(1);
        twice[(int) second.offset()] = 'a';
        assertRejected(twice, second.offset() - 8, "duplicate tensor name 'a' (first at offset 24)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"80", "c0 80", "ed a0 80", "f4 90 80 80", "e2 82", "f8 88 80 80 80", "ff"})
    void rejectsInvalidUtf8Everywhere(String hex) {
        byte[] bad = HexFormat.ofDelimiter(" ").parseHex(hex);
        byte[] key = new Raw().header(3, 0, 1).str(bytes("k", bad)).u32(0).u8(1).bytes();
        assertRejected(key, 33, "invalid UTF-8 (byte 0x" + hex.substring(0, 2) + ") in a metadata key");
        byte[] value = new Raw().header(3, 0, 1).str("k").u32(8).str(bytes("v", bad)).bytes();
        assertRejected(value, 46, "in a string in metadata key 'k'");
        byte[] element = new Raw().header(3, 0, 1).str("k").u32(9).u32(8).u64(2).str("ok").str(bytes("", bad))
                .bytes();
        assertRejected(element, 67, "in an array string in metadata key 'k'");
        byte[] tensor = new Raw().header(3, 1, 0).str(bytes("w", bad)).u32(1).u64(1).u32(0).u64(0).bytes();
        assertRejected(tensor, 33, "in a tensor name in tensor info 0");
    }

    @Test
    void acceptsWellFormedUtf8AtEveryLength() {
        String text = "a\u00e9\u2713\uD83D\uDE00\u07FF\uFFFD\uDBFF\uDFFF";
        GgufFile file = GgufFile.parse(MemorySegment.ofArray(new GgufWriter().putString(text, text)
                .put("list", GgufStringArray.of(text, "x" + text)).toByteArray()), "utf8");
        assertThat(file.metadata().getString(text)).isEqualTo(text);
        assertThat(file.metadata().getStringArray("list").get(1)).isEqualTo("x" + text);
    }

    @Test
    void rejectsEveryTruncationBeforeTheEndOfTheData() {
        byte[] file = RandomGguf.writer(new SplittableRandom(3)).putString("x", "y")
                .addTensor("last", GgmlType.F32, new long[] {3}, new byte[12]).toByteArray();
        GgufLayout layout = new GgufLayout(file);
        long end = layout.dataOffset + GgufFile.parse(MemorySegment.ofArray(file), "f").tensor("last").dataOffset()
                + 12;
        for (int n = 0; n < end; n++) {
            byte[] truncated = Arrays.copyOf(file, n);
            assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(truncated), "t"))
                    .as("truncated to %d bytes", n).isInstanceOf(GgufFormatException.class);
        }
        // The padding after the last tensor is not needed to read it, as in gguf.cpp.
        assertThat(GgufFile.parse(MemorySegment.ofArray(Arrays.copyOf(file, (int) end)), "t").tensors()).isNotEmpty();
    }

    @Test
    void typedGettersNameKeyTypeAndOffset() {
        byte[] file = new GgufWriter().putString("s", "text").put("big", new GgufValue.UInt64(-1L))
                .put("n", new GgufValue.UInt16(7)).put("f", new GgufValue.Float64(0.25)).toByteArray();
        GgufMetadata m = GgufFile.parse(MemorySegment.ofArray(file), "m.gguf").metadata();
        assertThat(m.getInt("n")).isEqualTo(7);
        assertThat(m.getLong("n")).isEqualTo(7);
        assertThat(m.getFloat("f")).isEqualTo(0.25f);
        assertThat(m.getOptionalInt("missing")).isEmpty();
        assertThat(m.getOptionalString("s")).contains("text");
        assertThatThrownBy(() -> m.getInt("s")).isInstanceOf(GgufFormatException.class)
                .hasMessage("m.gguf: offset 37: metadata key 's' is str, expected an integer");
        assertThatThrownBy(() -> m.getOptionalBoolean("s")).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("expected bool");
        assertThatThrownBy(() -> m.getLong("big")).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("'big' is u64 18446744073709551615, which does not fit in a long");
        assertThatThrownBy(() -> m.getString("general.architecture")).isInstanceOf(GgufFormatException.class)
                .hasMessage("m.gguf: missing metadata key 'general.architecture'");
        assertThatThrownBy(() -> m.getStringArray("n")).hasMessageContaining("'n' is u16, expected an array of str");
    }

    private static byte[] oneTensor() {
        return new GgufWriter().putString("general.architecture", "test")
                .addTensor("w", GgmlType.F32, new long[] {8, 8}, new byte[256]).toByteArray();
    }

    private static byte[] bytes(String prefix, byte[] suffix) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(p, p.length + suffix.length);
        System.arraycopy(suffix, 0, out, p.length, suffix.length);
        return out;
    }

    private static AbstractThrowableAssert<?, ?> assertRejected(byte[] file, long offset, String message) {
        return assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(file), "bad.gguf"))
                .isInstanceOfSatisfying(GgufFormatException.class, e -> {
                    assertThat(e.getMessage()).contains(message);
                    assertThat(e.offset()).as(e.getMessage()).isEqualTo(offset);
                    assertThat(e.source()).isEqualTo("bad.gguf");
                });
    }

    /** Hand-built GGUF bytes, for files the writer refuses to make. */
    private static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw header(long version, long tensors, long kvs) {
            out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
            return u32(version).u64(tensors).u64(kvs);
        }

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw u32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Raw u64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Raw str(String s) {
            return str(s.getBytes(StandardCharsets.UTF_8));
        }

        Raw str(byte[] utf8) {
            u64(utf8.length);
            out.writeBytes(utf8);
            return this;
        }

        Raw pad(int zeros) {
            out.writeBytes(new byte[zeros]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
