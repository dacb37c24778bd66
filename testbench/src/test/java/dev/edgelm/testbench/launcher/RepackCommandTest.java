package dev.edgelm.testbench.launcher;

import static dev.edgelm.testbench.launcher.InProcessEdgeLm.edgelm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufFormatException;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufWriter;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.ScalarKernels;
import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.launcher.InProcessEdgeLm.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code edgelm repack}: the copy stores the matrices interleaved (a tied head as a copy of its own), a model opened
 * from it maps them in place and computes what the original computes, and files that misuse the interleaved types
 * are refused clearly.
 */
class RepackCommandTest {

    private static final int[] PROMPT = TinyFixtures.prompt(12, 5);

    @TempDir
    static Path dir;

    private static Path original;
    private static Path repacked;

    @BeforeAll
    static void repack() {
        original = TinyFixtures.tiny(dir, "llama", "Q4_0");
        repacked = dir.resolve("repacked.gguf");
        Run run = edgelm("repack", "-m", original.toString(), "-o", repacked.toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("tensors interleaved");
    }

    @Test
    void everyMultipliedQ4_0MatrixIsStoredInterleavedAndTheRestAsItWas() throws IOException {
        try (GgufFile in = GgufFile.open(original); GgufFile out = GgufFile.open(repacked)) {
            assertThat(out.metadata().keys()).containsExactlyElementsOf(in.metadata().keys());
            assertThat(out.tensors()).hasSameSizeAs(in.tensors());
            int interleaved = 0;
            for (GgufTensor t : in.tensors()) {
                GgufTensor copy = out.tensor(t.name());
                assertThat(copy.dims()).isEqualTo(t.dims());
                boolean matrix = t.type() == GgmlType.Q4_0 && t.rank() == 2 && !t.name().startsWith("token_embd");
                if (matrix) {
                    assertThat(copy.type()).as(t.name()).isEqualTo(GgmlType.Q4_0_X16);
                    interleaved++;
                } else {
                    assertThat(copy.type()).as(t.name()).isEqualTo(t.type());
                    assertThat(copy.data().mismatch(t.data())).as(t.name()).isEqualTo(-1);
                }
            }
            assertThat(interleaved).isPositive();
        }
    }

    /** The interleaved weights are the file's own bytes (no copy), and give the logits of the original, bit for bit. */
    @Test
    void aRepackedModelIsMappedInPlaceAndComputesTheSame() throws IOException {
        try (Model model = Model.open(repacked); Model reference = Model.open(original);
                ComputePool pool = new ComputePool(2)) {
            WeightMatrix up = model.weights().layers().getFirst().up().weight();
            assertThat(up.layout()).isEqualTo(WeightLayout.INTERLEAVED_16);
            assertThat(up.data().address()).isEqualTo(model.gguf().tensor("blk.0.ffn_up.weight").data().address());
            for (int batch : new int[] {1, 8}) {
                assertThat(logits(model, Kernels.get(), pool, batch))
                        .containsExactly(logits(reference, Kernels.get(), pool, batch));
            }
        }
        // The scalar reference reads the interleaved file as it reads the original.
        try (Model model = Model.openMapped(repacked); Model reference = Model.openMapped(original);
                ComputePool pool = new ComputePool(1)) {
            assertThat(logits(model, new ScalarKernels(), pool, 4))
                    .containsExactly(logits(reference, new ScalarKernels(), pool, 4));
        }
    }

    /**
     * A head tied to the embedding (a vocabulary of whole 16-row groups here) gets an interleaved copy as
     * {@code output.weight}, and every other matrix is interleaved too: mapped in place, they give the original's
     * logits bit for bit.
     */
    @ParameterizedTest
    @CsvSource({"pure-Q4_0, Q4_0_X16", "pure-Q8_0, Q8_0_X16"})
    void aTiedHeadGetsAnInterleavedCopyOfItsOwn(String types, GgmlType interleaved) throws IOException {
        Path tied = TinyFixtures.tiny(Files.createDirectories(dir.resolve("tied-" + types)), "llama", types,
                ShapePreset.TINY.shape(), FixtureTokenizer.builtin(381), 11);
        Path copy = dir.resolve("tied-" + types + ".repacked.gguf");
        Run run = edgelm("repack", "-m", tied.toString(), "-o", copy.toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("tied output head added interleaved as output.weight");
        try (Model model = Model.open(copy); Model reference = Model.open(tied);
                ComputePool pool = new ComputePool(2)) {
            assertThat(reference.gguf().findTensor("output.weight")).isEmpty();
            assertThat(model.gguf().tensor("output.weight").type()).isEqualTo(interleaved);
            assertThat(model.gguf().tensors()).filteredOn(t -> t.rank() == 2 && !t.name().equals("token_embd.weight"))
                    .isNotEmpty().allMatch(t -> t.type() == interleaved);
            WeightMatrix head = model.weights().output().weight();
            assertThat(head.data().address()).isEqualTo(model.gguf().tensor("output.weight").data().address());
            assertThat(model.weights().tokenEmbedding().layout()).isEqualTo(WeightLayout.ROWS);
            for (int batch : new int[] {1, 8}) {
                assertThat(logits(model, Kernels.get(), pool, batch))
                        .containsExactly(logits(reference, Kernels.get(), pool, batch));
            }
        }
    }

    /**
     * The ternary formats, I2_S (with its tensor scale after the codes) among them: every matrix of whole 16-row
     * groups is stored as the format's twin, mapped in place, and gives the original's logits bit for bit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pure-I2_S", "pure-TQ2_0", "pure-TQ1_0"})
    void ternaryMatricesAreStoredInterleavedAndComputeTheSame(String types) throws IOException {
        Path ternary = TinyFixtures.tiny(Files.createDirectories(dir.resolve(types)), "bitnet", types);
        Path copy = dir.resolve(types + ".repacked.gguf");
        Run run = edgelm("repack", "-m", ternary.toString(), "-o", copy.toString());
        assertThat(run.status()).as(run.err()).isZero();
        try (Model model = Model.open(copy); Model reference = Model.open(ternary);
                ComputePool pool = new ComputePool(2)) {
            WeightMatrix up = model.weights().layers().getFirst().up().weight();
            GgufTensor stored = model.gguf().tensor("blk.0.ffn_up.weight");
            assertThat(stored.type().layout()).isEqualTo(WeightLayout.INTERLEAVED_16);
            assertThat(reference.gguf().tensor("blk.0.ffn_up.weight").type().interleaved()).contains(stored.type());
            assertThat(up.data().address()).isEqualTo(stored.data().address());
            assertThat(up.tensorScale()).isEqualTo(reference.weights().layers().getFirst().up().weight().tensorScale());
            for (int batch : new int[] {1, 8}) {
                assertThat(logits(model, Kernels.get(), pool, batch))
                        .containsExactly(logits(reference, Kernels.get(), pool, batch));
            }
        }
    }

    /**
     * {@code --output-type}: an F16 head tied to the embedding is requantized into a head of its own, interleaved
     * when the vocabulary is whole 16-row groups (BitNet's, with 381 learned tokens) and row by row when it is not
     * (llama's, the default vocabulary); the embedding is kept, the other matrices are interleaved as without the
     * option, and the logits stay close to the F16 head's.
     */
    @ParameterizedTest
    @CsvSource({"bitnet, I2_S, q8_0, 381, Q8_0_X16, 0.01", "bitnet, I2_S, q6_K, 381, Q6_K_X16, 0.03",
            "llama, F16, Q8_0, 0, Q8_0, 0.01"})
    void aFloatHeadIsRequantizedOnRequest(String architecture, String types, String type, int learnedTokens,
            GgmlType stored, double tolerance) throws IOException {
        String name = "head-" + architecture + "-" + type;
        Path model = TinyFixtures.tiny(Files.createDirectories(dir.resolve(name)), architecture, types,
                ShapePreset.TINY.shape(), learnedTokens > 0 ? FixtureTokenizer.builtin(learnedTokens)
                        : TinyFixtures.builtinVocabulary(), 13);
        Path copy = dir.resolve(name + ".repacked.gguf");
        Run run = edgelm("repack", "-m", model.toString(), "-o", copy.toString(), "--output-type", type);
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("the output head token_embd.weight requantized to " + stored.ggmlName()
                + " as output.weight");
        try (Model requantized = Model.open(copy); Model reference = Model.open(model);
                ComputePool pool = new ComputePool(2)) {
            GgufTensor embedding = reference.gguf().tensor("token_embd.weight");
            assertThat(embedding.type()).isEqualTo(GgmlType.F16);
            assertThat(reference.gguf().findTensor("output.weight")).isEmpty();
            assertThat(requantized.gguf().tensor("token_embd.weight").data().mismatch(embedding.data())).isEqualTo(-1);
            GgufTensor head = requantized.gguf().tensor("output.weight");
            assertThat(head.type()).isEqualTo(stored);
            assertThat(head.dims()).isEqualTo(embedding.dims());
            if (stored.layout() == WeightLayout.INTERLEAVED_16) {
                assertThat(requantized.weights().output().weight().data().address()).isEqualTo(head.data().address());
                assertThat(requantized.gguf().tensor("blk.0.ffn_up.weight").type()).isEqualTo(GgmlType.I2_S_X16);
            }
            for (int batch : new int[] {1, 8}) {
                float[] expected = logits(reference, Kernels.get(), pool, batch);
                float[] actual = logits(requantized, Kernels.get(), pool, batch);
                assertThat(relativeError(actual, expected)).as("%s head, batch %d", type, batch)
                        .isPositive().isLessThan(tolerance);
            }
        }
    }

    /** BitNet's graph reads the embedding, so a head that cannot be interleaved would be ignored: refused. */
    @Test
    void aBitnetHeadOfPartialGroupsIsNotRequantized() throws IOException {
        Path model = TinyFixtures.tiny(Files.createDirectories(dir.resolve("bitnet-443")), "bitnet", "I2_S");
        Path out = dir.resolve("bitnet-443.repacked.gguf");
        Run run = edgelm("repack", "-m", model.toString(), "-o", out.toString(), "--output-type", "q8_0");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("the head of this bitnet model has 443 rows, not a multiple of 16")
                .doesNotContain("--help");
        assertThat(out).doesNotExist();
    }

    @Test
    void aQuantizedHeadOrAnUnknownTypeIsRefusedAndNothingIsWritten() {
        Path out = dir.resolve("refused.gguf");
        Run quantized = edgelm("repack", "-m", original.toString(), "-o", out.toString(), "--output-type", "q8_0");
        // The model cannot take the option: a failure in one line, not a usage error.
        assertThat(quantized.status()).isEqualTo(1);
        assertThat(quantized.err()).contains("--output-type: the output head")
                .contains("only an F32, F16 or BF16 head is requantized").doesNotContain("--help");
        Run unknown = edgelm("repack", "-m", original.toString(), "-o", out.toString(), "--output-type", "q3_K");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("--output-type must be one of [q8_0, q6_K, q5_0, q4_K, q4_0], got q3_K")
                .contains("--help");
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("refused.gguf.partial")).doesNotExist();
    }

    /** |actual - expected| / |expected|, Euclidean. */
    private static double relativeError(float[] actual, float[] expected) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += (actual[i] - (double) expected[i]) * (actual[i] - (double) expected[i]);
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(difference / norm);
    }

    @Test
    void repackingARepackedModelChangesNothing() throws IOException {
        Path again = dir.resolve("again.gguf");
        Run run = edgelm("repack", "-m", repacked.toString(), "-o", again.toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains(": 0 of ");
        assertThat(Files.mismatch(again, repacked)).isEqualTo(-1);
    }

    @Test
    void theOutputCannotBeTheModelAndAMissingModelIsOneLine() throws IOException {
        byte[] before = Files.readAllBytes(original);
        Run same = edgelm("repack", "-m", original.toString(), "-o", original.toString());
        assertThat(same.status()).isEqualTo(2);
        assertThat(same.err()).contains("the output must not be the model itself");
        assertThat(Files.readAllBytes(original)).isEqualTo(before);
        Run missing = edgelm("repack", "-m", dir.resolve("nothing.gguf").toString(), "-o",
                dir.resolve("x.gguf").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err().lines().count()).isEqualTo(1);
        assertThat(dir.resolve("x.gguf")).doesNotExist();
        assertThat(dir.resolve("x.gguf.partial")).doesNotExist();
        Run nowhere = edgelm("repack", "-m", original.toString(), "-o", dir.resolve("no/such/dir/x.gguf").toString());
        assertThat(nowhere.status()).isEqualTo(2);
        assertThat(nowhere.err()).contains("the output's directory does not exist");
    }

    @Test
    void anInterleavedEmbeddingIsRefused() throws IOException {
        Path file = retype(dir.resolve("embedding.gguf"), t -> t.name().equals("token_embd.weight") ? GgmlType.Q4_0_X16
                : t.type());
        assertThatThrownBy(() -> Model.open(file).close()).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("token_embd.weight").hasMessageContaining("row at a time");
    }

    /** An output head of 443 rows (the vocabulary) cannot be interleaved in groups of 16. */
    @Test
    void anInterleavedMatrixOfPartialGroupsIsRefused() throws IOException {
        Path file = dir.resolve("head.gguf");
        try (GgufFile in = GgufFile.open(original)) {
            GgufTensor embedding = in.tensor("token_embd.weight");
            GgufWriter writer = copy(in).addTensor("output.weight", GgmlType.Q4_0_X16, embedding.dims());
            writer.write(file);
        }
        assertThatThrownBy(() -> Model.open(file).close()).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("'output.weight' is q4_0_x16, which needs a multiple of 16 rows");
    }

    /** A norm weight given the interleaved type is refused, not misread. */
    @Test
    void anInterleavedVectorIsRefused() throws IOException {
        Path file = retype(dir.resolve("vector.gguf"), t -> t.name().equals("blk.0.attn_norm.weight")
                ? GgmlType.Q4_0_X16 : t.type());
        assertThatThrownBy(() -> Model.open(file).close()).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("blk.0.attn_norm.weight");
    }

    /** The original with some tensors' types replaced (and zero bytes of the new type's size). */
    private static Path retype(Path target, Function<GgufTensor, GgmlType> type)
            throws IOException {
        try (GgufFile in = GgufFile.open(original)) {
            GgufWriter writer = new GgufWriter().putAll(in.metadata());
            for (GgufTensor t : in.tensors()) {
                GgmlType newType = type.apply(t);
                if (newType == t.type()) {
                    writer.addTensor(t.name(), t.type(), t.dims(), t.data());
                } else {
                    writer.addTensor(t.name(), newType, t.dims());
                }
            }
            writer.write(target);
        }
        return target;
    }

    private static GgufWriter copy(GgufFile in) {
        GgufWriter writer = new GgufWriter().putAll(in.metadata());
        in.tensors().forEach(t -> writer.addTensor(t.name(), t.type(), t.dims(), t.data()));
        return writer;
    }

    private static float[] logits(Model model, Kernels kernels, ComputePool pool, int batch) {
        ForwardPass pass = model.newSequence(kernels, pool,
                ContextOptions.defaults().withContextLength(32).withBatchSize(batch));
        float[] logits = new float[model.config().vocabularySize()];
        pass.forward(PROMPT, 0, PROMPT.length, 0, logits);
        return logits;
    }
}
