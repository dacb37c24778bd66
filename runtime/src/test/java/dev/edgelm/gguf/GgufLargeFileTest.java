package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Model-sized files, written sparse (the writer leaves unwritten tensors as holes), so they cost no disk. */
class GgufLargeFileTest {
    @TempDir
    Path dir;

    @Test
    void openingA16GbModelAddsLessThan10MbOfHeap() throws Exception {
        Path path = dir.resolve("qwen2.5-1.5b-q8_0-shaped.gguf");
        writeModel(path);
        assertThat(Files.size(path)).isGreaterThan(1_600_000_000L);

        // Warm up on a small file so that class loading and first-call set-up are not counted.
        Path small = dir.resolve("small.gguf");
        new GgufWriter().putString("general.architecture", "llama").write(small);
        GgufFile.open(small).close();

        // Method: used heap (MemoryMXBean) after System.gc() before the open, and again after the open while the
        // opened file is still reachable; System.gc() is a full, compacting collection with the default G1.
        long before = usedHeapAfterGc();
        long t0 = System.nanoTime();
        GgufFile file = GgufFile.open(path);
        long openNanos = System.nanoTime() - t0;
        long after = usedHeapAfterGc();
        long growth = after - before;
        System.out.printf("GGUF open of a %.2f GB model: heap grew by %.2f MB, %.1f ms (%d tensors, %d keys)%n",
                Files.size(path) / 1e9, growth / 1e6, openNanos / 1e6, file.tensors().size(),
                file.metadata().size());
        try (file) {
            assertThat(growth).isLessThan(10_000_000L);
            GgufStringArray tokens = file.metadata().getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens.size()).isEqualTo(151_936);
            assertThat(tokens.get(151_935)).isEqualTo("\u0120token151935");
            assertThat(file.metadata().getStringArray("tokenizer.ggml.merges").get(7)).isEqualTo("\u0120t oken7");
            assertThat(file.tensor("token_embd.weight").byteSize()).isEqualTo(151_936L * 1536 / 32 * 34);
        }
        Reference.reachabilityFence(file);
    }

    @Test
    void tensorsBeyond2GbReadBack() throws IOException {
        Path path = dir.resolve("big.gguf");
        long filler = (1L << 31) + 96;
        new GgufWriter()
                .putString("general.architecture", "llama")
                .addTensor("filler", GgmlType.I8, new long[] {filler})
                .addTensor("probe", GgmlType.F32, new long[] {16}, target -> {
                    for (int i = 0; i < 16; i++) {
                        target.setAtIndex(Le.F32, i, 1000f + i);
                    }
                })
                .write(path);
        try (GgufFile file = GgufFile.open(path)) {
            GgufTensor probe = file.tensor("probe");
            assertThat(file.dataOffset() + probe.dataOffset()).isGreaterThan(1L << 31);
            assertThat(probe.data().getAtIndex(Le.F32, 0)).isEqualTo(1000f);
            assertThat(probe.data().getAtIndex(Le.F32, 15)).isEqualTo(1015f);
            assertThat(file.tensor("filler").data().get(Le.I8, filler - 1)).isZero();
        }
    }

    /** Qwen2.5-1.5B's shapes at Q8_0 with a 151,936-token byte-level BPE vocabulary: about 1.6 GB. */
    private static void writeModel(Path path) throws IOException {
        int vocab = 151_936;
        int hidden = 1536;
        int ffn = 8960;
        int kv = 256;
        List<String> tokens = new ArrayList<>(vocab);
        List<String> merges = new ArrayList<>(vocab);
        int[] types = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            tokens.add("\u0120token" + i);
            merges.add("\u0120t oken" + i);
            types[i] = 1;
        }
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "qwen2")
                .putString("general.name", "shape test")
                .putUInt32("qwen2.block_count", 28)
                .putUInt32("qwen2.embedding_length", hidden)
                .putString("tokenizer.ggml.model", "gpt2")
                .put("tokenizer.ggml.tokens", GgufStringArray.of(tokens))
                .put("tokenizer.ggml.token_type", GgufNumericArray.ofInts(types))
                .put("tokenizer.ggml.merges", GgufStringArray.of(merges));
        w.addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {hidden, vocab});
        for (int l = 0; l < 28; l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {hidden});
            w.addTensor(p + "attn_q.weight", GgmlType.Q8_0, new long[] {hidden, hidden});
            w.addTensor(p + "attn_k.weight", GgmlType.Q8_0, new long[] {hidden, kv});
            w.addTensor(p + "attn_v.weight", GgmlType.Q8_0, new long[] {hidden, kv});
            w.addTensor(p + "attn_output.weight", GgmlType.Q8_0, new long[] {hidden, hidden});
            w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {hidden});
            w.addTensor(p + "ffn_gate.weight", GgmlType.Q8_0, new long[] {hidden, ffn});
            w.addTensor(p + "ffn_up.weight", GgmlType.Q8_0, new long[] {hidden, ffn});
            w.addTensor(p + "ffn_down.weight", GgmlType.Q8_0, new long[] {ffn, hidden});
        }
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {hidden});
        w.write(path);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
