package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyValueKindAndTensorTypeRoundTripsBitForBit() throws IOException {
        GgufWriter writer = new GgufWriter()
                .putString("general.architecture", "llama")
                .put("u8", new GgufValue.UInt8(255))
                .put("i8", new GgufValue.Int8((byte) -128))
                .put("u16", new GgufValue.UInt16(65535))
                .put("i16", new GgufValue.Int16((short) -32768))
                .put("u32", new GgufValue.UInt32(0xFFFF_FFFFL))
                .put("i32", new GgufValue.Int32(Integer.MIN_VALUE))
                .put("u64", new GgufValue.UInt64(-1L))
                .put("i64", new GgufValue.Int64(Long.MIN_VALUE))
                .put("f32", new GgufValue.Float32(Float.intBitsToFloat(0x7FC0_1234))) // a NaN with a payload
                .put("f64", new GgufValue.Float64(-0.0))
                .put("bool", new GgufValue.Bool(true))
                .put("str", new GgufValue.Str("h\u00e9llo \u2713 \uD83D\uDE00"))
                .put("empty", new GgufValue.Str(""))
                .put("ints", GgufNumericArray.ofInts(1, -2, 3))
                .put("floats", GgufNumericArray.ofFloats(0.5f, Float.NaN))
                .put("u64s", GgufNumericArray.ofLongs(GgufValueType.UINT64, -1L, 0))
                .put("bools", GgufNumericArray.ofBooleans(true, false))
                .put("no.ints", GgufNumericArray.ofInts())
                .put("strs", GgufStringArray.of("a", "", "\u00fc"))
                .put("nested", new GgufNestedArray(List.of(GgufNumericArray.ofInts(1, 2),
                        new GgufNestedArray(List.of(GgufStringArray.of("x"))))));
        SplittableRandom random = new SplittableRandom(1);
        for (GgmlType type : GgmlType.values()) {
            long[] dims = {type.blockSize() * 4L, 3};
            byte[] data = new byte[(int) type.tensorBytes(dims)];
            random.nextBytes(data);
            writer.addTensor("w." + type.ggmlName(), type, dims, data);
        }
        Path path = dir.resolve("all.gguf");
        writer.write(path);
        byte[] written = Files.readAllBytes(path);
        assertThat(written).isEqualTo(writer.toByteArray());
        assertThat((long) written.length).isEqualTo(writer.size());

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.metadata().keys()).startsWith("general.architecture", "u8", "i8");
            assertThat(file.metadata().get("f32")).isEqualTo(new GgufValue.Float32(Float.intBitsToFloat(0x7FC0_1234)));
            assertThat(file.metadata().getStringArray("strs").asList()).containsExactly("a", "", "\u00fc");
            assertThat(file.tensors()).hasSize(GgmlType.values().length);
            for (GgufTensor t : file.tensors()) {
                assertThat(t.dataOffset() % 32).isZero();
                assertThat(t.data().byteSize()).isEqualTo(t.type().tensorBytes(t.dims()));
            }
            assertThat(rewrite(file)).isEqualTo(written);
        }
    }

    @Test
    void randomFilesRoundTrip() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 300; i++) {
            GgufWriter writer = RandomGguf.writer(random);
            byte[] bytes = writer.toByteArray();
            GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes), "random-" + i);
            byte[] again = rewrite(file);
            assertThat(again).as("file %d", i).isEqualTo(bytes);
            GgufFile reread = GgufFile.parse(MemorySegment.ofArray(again), "again-" + i);
            assertThat(reread.metadata()).isEqualTo(file.metadata());
            for (int t = 0; t < file.tensors().size(); t++) {
                assertThat(reread.tensors().get(t).data().mismatch(file.tensors().get(t).data())).isEqualTo(-1);
            }
        }
    }

    @Test
    void readsVersion2() {
        byte[] bytes = RandomGguf.writer(new SplittableRandom(7)).toByteArray();
        byte[] v2 = bytes.clone();
        v2[4] = 2;
        GgufFile file = GgufFile.parse(MemorySegment.ofArray(v2), "v2");
        assertThat(file.version()).isEqualTo(2);
        assertThat(file.metadata()).isEqualTo(GgufFile.parse(MemorySegment.ofArray(bytes), "v3").metadata());
    }

    @Test
    void layoutFollowsGgufCpp() {
        // header 24 + key ("k": 8+1, type 4, u8 1) + info ("t": 8+1, rank 4, dim 8, type 4, offset 8) = 71 -> 96
        byte[] bytes = new GgufWriter()
                .put("k", new GgufValue.UInt8(7))
                .addTensor("t", GgmlType.F32, new long[] {3}, new byte[12])
                .addTensor("u", GgmlType.I8, new long[] {1}, new byte[] {9})
                .toByteArray();
        GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes), "layout");
        assertThat(file.dataOffset()).isEqualTo(128); // 71 + ("u": 8+1+4+8+4+8 = 33) = 104, padded to 128
        assertThat(file.tensor("t").dataOffset()).isZero();
        assertThat(file.tensor("u").dataOffset()).isEqualTo(32);
        assertThat(bytes).hasSize(128 + 32 + 32); // each tensor, the last included, is padded to the alignment
        assertThat(bytes[128 + 32]).isEqualTo((byte) 9);
        for (int i = 104; i < 128; i++) {
            assertThat(bytes[i]).isZero();
        }
    }

    @Test
    void fileWithoutTensorsIsPaddedAndReads() {
        byte[] bytes = new GgufWriter().putString("general.architecture", "x").toByteArray();
        assertThat(bytes.length % 32).isZero();
        GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes), "empty");
        assertThat(file.tensors()).isEmpty();
        assertThat(file.metadata().getString("general.architecture")).isEqualTo("x");
    }

    @Test
    void streamsTensorDataIntoTheMappedOutput() throws IOException {
        Path path = dir.resolve("streamed.gguf");
        new GgufWriter()
                .alignment(64)
                .addTensor("s", GgmlType.F32, new long[] {1024, 2}, target -> {
                    for (long i = 0; i < 2048; i++) {
                        target.setAtIndex(Le.F32, i, i * 0.5f);
                    }
                })
                .write(path);
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.alignment()).isEqualTo(64);
            assertThat(file.dataOffset() % 64).isZero();
            MemorySegment data = file.tensor("s").data();
            assertThat(data.getAtIndex(Le.F32, 2047)).isEqualTo(1023.5f);
            assertThat(data.isReadOnly()).isTrue();
        }
    }

    /** Writes {@code file} again from what the reader returned. */
    static byte[] rewrite(GgufFile file) {
        GgufWriter writer = new GgufWriter().putAll(file.metadata());
        for (GgufTensor t : file.tensors()) {
            writer.addTensor(t.name(), t.type(), t.dims(), t.data());
        }
        return writer.toByteArray();
    }
}
