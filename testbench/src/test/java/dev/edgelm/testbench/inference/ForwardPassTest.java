package dev.edgelm.testbench.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufWriter;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.model.Architecture;
import dev.edgelm.model.ContextFullException;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.peer.Distributions;
import dev.edgelm.testbench.reference.ReferenceModel;
import dev.edgelm.testbench.reference.TestShapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The runtime's forward pass: against the F32 reference, and invariant under batching and thread count. */
class ForwardPassTest {
    private static final int[] PROMPT = TinyFixtures.prompt(37, 3);
    /** A flipped 8-bit activation code, and nothing more, between the runtime and the llama.cpp-rounded reference. */
    private static final double ROUNDED_TOLERANCE = 0.05;

    @TempDir
    Path dir;

    private static ContextOptions options(int batch, KvCacheType cache) {
        return ContextOptions.defaults().withContextLength(64).withBatchSize(batch).withKvCacheType(cache);
    }

    private static float[] logits(Model model, ComputePool pool, ContextOptions options) {
        ForwardPass pass = model.newSequence(Kernels.get(), pool, options);
        float[] logits = new float[model.config().vocabularySize()];
        pass.forward(PROMPT, 0, PROMPT.length, 0, logits);
        return logits;
    }

    /**
     * Every architecture against the F32 reference pass, with F32 and F16 weights (neither quantizes activations)
     * and an F32 cache: only summation order separates the two.
     */
    @ParameterizedTest
    @CsvSource({"llama,pure-F32", "qwen2,pure-F32", "qwen3,pure-F32", "phi3,pure-F32", "openelm,pure-F32",
            "bitnet,pure-F32", "gemma,pure-F32", "gemma2,pure-F32", "phi2,pure-F32", "gpt2,pure-F32",
            "llama,pure-F16", "gemma2,pure-F16", "phi2,pure-F16", "openelm,pure-F16"})
    void matchesTheReferenceForwardPass(String architecture, String types) throws IOException {
        Path file = TinyFixtures.tiny(dir, architecture, types, TestShapes.forArchitecture(architecture));
        try (GgufFile gguf = GgufFile.open(file); Model model = Model.open(file); ComputePool pool = new ComputePool(2)) {
            double[] reference = Distributions.logSoftmax(ReferenceModel.load(gguf).logits(PROMPT));
            double[] ours = Distributions.logSoftmax(logits(model, pool, options(16, KvCacheType.F32)));
            double worst = 0;
            for (int t = 0; t < ours.length; t++) {
                worst = Math.max(worst, Math.abs(ours[t] - reference[t]));
            }
            System.out.printf("ForwardPassTest %s %s: max |logprob difference| from the reference %.2g%n",
                    architecture, types, worst);
            assertThat(worst).as("max |logprob difference| over the vocabulary").isLessThan(1e-5);
        }
    }

    /**
     * Quantized weights against the reference with llama.cpp's activation rounding: both round each projection's
     * input through the same 8-bit format and decode the same blocks, so they agree to float precision (measured
     * 2e-7 to 7e-7) unless some activation lands on the other side of a rounding boundary of its 8-bit code. Which
     * activations do is chance: float sums run in an order that depends on the vector width, the vector exp is up to
     * 1 ulp from {@code Math.exp}, and the formats with minimums (Q5_1, Q4_K, Q5_K) fold them in through the
     * activation sums, as llama.cpp does, where the reference subtracts them from each weight. One flipped code moves
     * these random-weight models by 0.02 to 0.03 (seen with Q8_0 at 512 bits and Q4_0 at 256), hence
     * {@link #ROUNDED_TOLERANCE}, as in the llama.cpp comparison; the integer arithmetic itself is checked exactly by
     * the kernels' conformance properties. GELU architectures are left out: the reference's llama.cpp rounding also
     * copies llama.cpp's f16 GELU table, which the runtime does not.
     */
    @ParameterizedTest
    @CsvSource({"llama,pure-Q8_0", "llama,pure-Q4_0", "llama,pure-Q4_1", "llama,pure-Q5_0", "llama,pure-Q6_K",
            "llama,pure-TQ1_0", "llama,pure-TQ2_0", "qwen3,Q8_0", "bitnet,TQ2_0", "llama,pure-Q5_1",
            "llama,pure-Q4_K", "llama,pure-Q5_K", "llama,Q4_K_M", "qwen2,Q4_K_M", "phi3,Q4_K_M", "openelm,Q4_0"})
    void quantizedWeightsMatchTheReferenceWithLlamaCppRounding(String architecture, String types)
            throws IOException {
        Path file = TinyFixtures.tiny(dir, architecture, types, TestShapes.forArchitecture(architecture));
        double worst = gapFromRoundedReference(file);
        System.out.printf("ForwardPassTest %s %s: top-5 max |logprob difference| from the reference %.2g%n",
                architecture, types, worst);
        assertThat(worst).as("top-5 max |logprob difference|").isLessThan(ROUNDED_TOLERANCE);
    }

    /**
     * BitNet b1.58 2B4T as Microsoft's converter writes it: llama.cpp's bitnet tensors under the architecture name
     * {@code bitnet-b1.58}, run with the squared-ReLU FFN the model was trained with. llama.cpp cannot load the name,
     * so the reference pass is the check; the weights are I2_S (Microsoft's format) and TQ2_0, with
     * {@link #ROUNDED_TOLERANCE} for the reason given at {@link #quantizedWeightsMatchTheReferenceWithLlamaCppRounding}.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pure-I2_S", "TQ2_0", "pure-F32"})
    void microsoftsBitnetNameRunsTheSquaredReluFeedForward(String types) throws IOException {
        Path file = renamed(TinyFixtures.tiny(dir, "bitnet", types), "bitnet", "bitnet-b1.58");
        try (Model model = Model.open(file)) {
            assertThat(model.config().architecture()).isEqualTo(Architecture.BITNET_B158);
        }
        double worst = gapFromRoundedReference(file);
        System.out.printf("ForwardPassTest bitnet-b1.58 %s: top-5 max |logprob difference| from the reference %.2g%n",
                types, worst);
        assertThat(worst).isLessThan(ROUNDED_TOLERANCE);
    }

    /**
     * The runtime (F32 cache) against the reference with llama.cpp's activation rounding: top-5 max gap. The prompt
     * goes in batches of 4, which the vector kernels run as decode-then-dot with integer block sums, the arithmetic
     * of llama.cpp's {@code vec_dot} and of the reference; from 6 columns on they multiply float tiles, which round
     * differently (checked against token by token in {@link #batchingAgreesWithTokenByToken}, and against llama.cpp
     * by the conformance suite).
     */
    private static double gapFromRoundedReference(Path file) throws IOException {
        try (GgufFile gguf = GgufFile.open(file); Model model = Model.open(file); ComputePool pool = new ComputePool(2)) {
            double[] reference = Distributions.logSoftmax(
                    ReferenceModel.load(gguf, ReferenceModel.Rounding.LLAMA_CPP).logits(PROMPT));
            double[] ours = Distributions.logSoftmax(logits(model, pool, options(4, KvCacheType.F32)));
            return topFiveGap(ours, reference);
        }
    }

    /** The largest |log-probability difference| over {@code expected}'s five most likely tokens. */
    private static double topFiveGap(double[] actual, double[] expected) {
        double worst = 0;
        for (int t : Distributions.topK(expected, 5)) {
            worst = Math.max(worst, Math.abs(actual[t] - expected[t]));
        }
        return worst;
    }

    /** A copy of {@code file} whose architecture and hyperparameter keys carry another name. */
    private Path renamed(Path file, String from, String to) throws IOException {
        Path out = dir.resolve(to + "-" + file.getFileName());
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufWriter writer = new GgufWriter();
            gguf.metadata().asMap().forEach((key, value) -> writer.put(
                    key.startsWith(from + ".") ? to + key.substring(from.length()) : key, value));
            writer.putString("general.architecture", to);
            for (GgufTensor t : gguf.tensors()) {
                writer.addTensor(t.name(), t.type(), t.dims(), t.data());
            }
            writer.write(out);
        }
        return out;
    }

    /**
     * Prefill in batches of 64, 7 and 1 runs the matrix-matrix kernels, a mix, and the matrix-vector ones. Their sums
     * are ordered differently (last-bit differences), and a last-bit difference may flip the rounding of an 8-bit
     * activation code downstream, so agreement is up to the tolerance of the llama.cpp comparison (the top 5 within
     * 0.05), with the same most likely token.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pure-F32", "pure-Q8_0", "Q4_0", "Q4_K_M"})
    void batchingAgreesWithTokenByToken(String types) throws IOException {
        try (Model model = Model.open(TinyFixtures.tiny(dir, "llama", types)); ComputePool pool = new ComputePool(2)) {
            double[] single = Distributions.logSoftmax(logits(model, pool, options(1, KvCacheType.F16)));
            for (int batch : new int[] {7, 64}) {
                double[] batched = Distributions.logSoftmax(logits(model, pool, options(batch, KvCacheType.F16)));
                double worst = topFiveGap(batched, single);
                assertThat(worst).as("%s, batch %d: max |logprob difference| over the top 5", types, batch)
                        .isLessThan(0.05);
                assertThat(Distributions.topK(batched, 1)).isEqualTo(Distributions.topK(single, 1));
            }
        }
    }

    /**
     * A model opened for the vector kernels runs its Q4_0 matrices interleaved; one opened mapped runs them from the
     * file. Decode (batch 1) sums each row in another order, so the logits agree to float rounding (and 8-bit
     * activation codes it may flip downstream); prefill in batches of 8 runs the same float tiles either way, bit
     * for bit.
     */
    @Test
    void interleavedWeightsAgreeWithMappedOnes() throws IOException {
        Path file = TinyFixtures.tiny(dir, "llama", "Q4_0");
        try (Model prepared = Model.open(file); Model mapped = Model.openMapped(file);
                ComputePool pool = new ComputePool(2)) {
            WeightLayout layout = prepared.weights().layers().getFirst().up().weight().layout();
            assertThat(layout).isEqualTo(Kernels.get().vectorBits() == 0 ? WeightLayout.ROWS
                    : WeightLayout.INTERLEAVED_16);
            assertThat(mapped.weights().layers().getFirst().up().weight().layout()).isEqualTo(WeightLayout.ROWS);
            double[] decodeMapped = Distributions.logSoftmax(logits(mapped, pool, options(1, KvCacheType.F32)));
            double[] decodePrepared = Distributions.logSoftmax(logits(prepared, pool, options(1, KvCacheType.F32)));
            assertThat(topFiveGap(decodePrepared, decodeMapped)).isLessThan(0.05);
            assertThat(Distributions.topK(decodePrepared, 1)).isEqualTo(Distributions.topK(decodeMapped, 1));
            assertThat(logits(prepared, pool, options(8, KvCacheType.F32)))
                    .containsExactly(logits(mapped, pool, options(8, KvCacheType.F32)));
        }
    }

    /** The F16 and Q8_0 caches round keys and values; the distribution moves within the llama.cpp tolerance. */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0"})
    void roundingCachesStayCloseToTheF32Cache(String cache) throws IOException {
        try (Model model = Model.open(TinyFixtures.tiny(dir, "qwen2", "pure-F32")); ComputePool pool = new ComputePool(2)) {
            double[] exact = Distributions.logSoftmax(logits(model, pool, options(16, KvCacheType.F32)));
            double[] rounded = Distributions.logSoftmax(logits(model, pool, options(16, KvCacheType.valueOf(cache))));
            double worst = topFiveGap(rounded, exact);
            System.out.printf("ForwardPassTest %s cache: top-5 max |logprob difference| from F32 %.2g%n", cache, worst);
            assertThat(worst).isLessThan(0.05);
            assertThat(worst).as("the cache must round something").isGreaterThan(0);
            assertThat(Distributions.topK(rounded, 1)).isEqualTo(Distributions.topK(exact, 1));
        }
    }

    /** Every row is computed by one thread with the same code, so the thread count changes nothing. */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "pure-TQ2_0", "pure-Q5_1"})
    void threadCountDoesNotChangeTheLogits(String types) throws IOException {
        Path file = TinyFixtures.tiny(dir, "qwen2", types);
        try (Model model = Model.open(file); ComputePool one = new ComputePool(1); ComputePool two = new ComputePool(2)) {
            assertThat(logits(model, two, options(16, KvCacheType.F16)))
                    .containsExactly(logits(model, one, options(16, KvCacheType.F16)));
        }
    }

    @Test
    void forwardAllGivesTheLogitsAfterEveryPosition() throws IOException {
        try (Model model = Model.open(TinyFixtures.tiny(dir, "llama", "pure-Q8_0")); ComputePool pool = new ComputePool(2)) {
            int vocab = model.config().vocabularySize();
            ForwardPass pass = model.newSequence(Kernels.get(), pool, options(8, KvCacheType.F16));
            float[] all = new float[PROMPT.length * vocab];
            pass.forwardAll(PROMPT, 0, PROMPT.length, 0, all);
            for (int n : new int[] {1, 8, 9, PROMPT.length}) {
                float[] last = logits(model, pool, options(8, KvCacheType.F16), n);
                // The body runs in the same batches; only the head's product differs (matrix-matrix, matrix-vector).
                assertThat(Arrays.copyOfRange(all, (n - 1) * vocab, n * vocab)).as("after %d tokens", n)
                        .containsExactly(last, within(1e-4f));
            }
        }
    }

    private static float[] logits(Model model, ComputePool pool, ContextOptions options, int tokens) {
        ForwardPass pass = model.newSequence(Kernels.get(), pool, options);
        float[] logits = new float[model.config().vocabularySize()];
        pass.forward(PROMPT, 0, tokens, 0, logits);
        return logits;
    }

    @Test
    void positionsPastTheContextAreRefusedWithTheSizes() throws IOException {
        try (Model model = Model.open(TinyFixtures.tiny(dir, "llama", "Q4_0")); ComputePool pool = new ComputePool(1)) {
            ForwardPass pass = model.newSequence(Kernels.get(), pool,
                    ContextOptions.defaults().withContextLength(16));
            float[] logits = new float[model.config().vocabularySize()];
            assertThatThrownBy(() -> pass.forward(PROMPT, 0, 17, 0, logits))
                    .isInstanceOf(ContextFullException.class)
                    .hasMessageContaining("17 tokens do not fit in a context of 16");
            pass.forward(PROMPT, 0, 15, 0, logits);
            assertThatThrownBy(() -> pass.forward(PROMPT, 15, 2, 15, logits))
                    .isInstanceOf(ContextFullException.class);
            assertThatThrownBy(() -> pass.forward(new int[] {model.config().vocabularySize()}, 0, 1, 0, logits))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("outside the vocabulary");
        }
    }

    @Test
    void aContextLongerThanTheModelsIsRefused() throws IOException {
        try (Model model = Model.open(TinyFixtures.tiny(dir, "llama", "Q4_0")); ComputePool pool = new ComputePool(1)) {
            int tooLong = model.config().contextLength() + 1;
            assertThatThrownBy(() -> model.newSequence(Kernels.get(), pool,
                    ContextOptions.defaults().withContextLength(tooLong)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("trained for");
        }
    }
}
