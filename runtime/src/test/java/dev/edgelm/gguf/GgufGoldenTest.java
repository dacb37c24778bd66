package dev.edgelm.gguf;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compares the writer and reader with files written by llama.cpp's own gguf-py (made by
 * {@code src/test/resources/gguf/make_gguf_py_samples.py}): same content must give the same bytes.
 */
class GgufGoldenTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 64})
    void writerReproducesGgufPyByteForByte(int alignment) throws IOException {
        byte[] reference = resource(alignment == 0 ? "gguf-py-sample.gguf" : "gguf-py-sample-align64.gguf");
        GgufWriter writer = new GgufWriter().putString("general.architecture", "llama");
        if (alignment != 0) {
            writer.alignment(alignment);
        }
        writer.put("test.u8", new GgufValue.UInt8(200))
                .put("test.i8", new GgufValue.Int8((byte) -5))
                .put("test.u16", new GgufValue.UInt16(65000))
                .put("test.i16", new GgufValue.Int16((short) -30000))
                .put("test.u32", new GgufValue.UInt32(4_000_000_000L))
                .put("test.i32", new GgufValue.Int32(-2_000_000_000))
                .put("test.f32", new GgufValue.Float32(1.5f))
                .put("test.u64", new GgufValue.UInt64(Long.MIN_VALUE + 5))
                .put("test.i64", new GgufValue.Int64(-(1L << 40)))
                .put("test.f64", new GgufValue.Float64(Math.PI))
                .put("test.bool", new GgufValue.Bool(true))
                .put("test.str", new GgufValue.Str("h\u00e9llo \u2713 \uD83D\uDE00"))
                .put("test.arr.i32", GgufNumericArray.ofInts(1, -2, 3))
                .put("test.arr.f32", GgufNumericArray.ofFloats(0.5f, -1.25f))
                .put("test.arr.bool", GgufNumericArray.ofBooleans(true, false, true))
                .put("test.arr.str", GgufStringArray.of("a", "bc", "", "\u00fc"))
                .put("test.arr.nested", new GgufNestedArray(List.of(GgufNumericArray.ofInts(1, 2),
                        GgufStringArray.of("x"))));
        MemorySegment a = MemorySegment.ofArray(new byte[32]);
        for (int i = 0; i < 8; i++) {
            a.setAtIndex(Le.F32, i, i);
        }
        byte[] b = new byte[68];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        MemorySegment c = MemorySegment.ofArray(new byte[6]);
        for (int i = 0; i < 3; i++) {
            c.setAtIndex(Le.I16, i, (short) (i + 1));
        }
        MemorySegment d = MemorySegment.ofArray(new byte[24]);
        for (int i = 0; i < 12; i++) {
            d.setAtIndex(Le.I16, i, Float.floatToFloat16(i));
        }
        writer.addTensor("a", GgmlType.F32, new long[] {4, 2}, a)
                .addTensor("b", GgmlType.Q8_0, new long[] {32, 2}, b)
                .addTensor("c", GgmlType.I16, new long[] {3}, c)
                .addTensor("d", GgmlType.F16, new long[] {4, 1, 3}, d);

        assertThat(writer.toByteArray()).isEqualTo(reference);
        GgufFile file = GgufFile.parse(MemorySegment.ofArray(reference), "gguf-py");
        assertThat(GgufRoundTripTest.rewrite(file)).isEqualTo(reference);
        assertThat(file.metadata().getLong("test.i64")).isEqualTo(-(1L << 40));
        assertThat(file.tensor("d").dims()).containsExactly(4, 1, 3);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GgufGoldenTest.class.getResourceAsStream("/gguf/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
