package dev.edgelm.testbench.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.generate.Perplexity;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.FixtureGenerator;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ModelLayout;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TypeMix;
import dev.edgelm.testbench.peer.Distributions;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Perplexity} implements llama-perplexity's definition: checked against a straightforward computation from a
 * fresh pass's logits at every position of every chunk (log-softmax in double), on a float-weight fixture where
 * batching does not change the logits. The calculator runs with a smaller batch than the chunk and one pass for all
 * chunks, so the batch splits and the reuse of the cache are checked too.
 */
class PerplexityDefinitionTest {
    private static final int N_CTX = 16;
    private static final int BATCH = 4;
    /** Five whole chunks and a partial one, which is never evaluated. */
    private static final int[] TOKENS = new Random(3).ints(5 * N_CTX + 7, 0, 400).toArray();

    @TempDir
    static Path dir;

    private static Model model;
    private static ComputePool pool;

    @BeforeAll
    static void writeFixture() throws IOException {
        Path file = dir.resolve("llama-f32.gguf");
        FixtureGenerator.write(new FixtureGenerator.Request(ModelLayout.of("llama"), ShapePreset.TINY.shape(),
                TypeMix.parse("pure-F32"), FixtureTokenizer.builtin(1024), FixtureGenerator.Weights.RANDOM, 5), file);
        model = Model.open(file);
        pool = new ComputePool(2);
    }

    @AfterAll
    static void close() {
        pool.close();
        model.close();
    }

    private static Perplexity calculator() {
        return new Perplexity(model.newSequence(Kernels.get(), pool,
                new ContextOptions(N_CTX, KvCacheType.F32, BATCH)));
    }

    /** The definition written out: ppl and its error over the first {@code chunks} chunks. */
    private static double[] straightforward(int bos, int chunks) {
        int vocab = model.config().vocabularySize();
        List<Double> scores = new ArrayList<>();
        for (int chunk = 0; chunk < chunks; chunk++) {
            int[] window = Arrays.copyOfRange(TOKENS, chunk * N_CTX, (chunk + 1) * N_CTX);
            if (bos != Tokenizer.NO_TOKEN) {
                window[0] = bos;
            }
            ForwardPass pass = model.newSequence(Kernels.get(), pool,
                    new ContextOptions(N_CTX, KvCacheType.F32, N_CTX));
            float[] logits = new float[N_CTX * vocab];
            pass.forwardAll(window, 0, N_CTX, 0, logits);
            for (int j = N_CTX / 2; j <= N_CTX - 2; j++) {
                double[] logprobs = Distributions.logSoftmax(Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab));
                scores.add(-logprobs[window[j + 1]]);
            }
        }
        double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double variance = scores.stream().mapToDouble(s -> (s - mean) * (s - mean)).sum() / scores.size();
        double ppl = Math.exp(mean);
        return new double[] {ppl, Math.sqrt(variance / (scores.size() - 1)) * ppl};
    }

    @ParameterizedTest(name = "first token replaced by BOS: {0}")
    @ValueSource(booleans = {false, true})
    void agreesWithTheDefinitionOnEveryWholeChunk(boolean replaceFirst) {
        int bos = replaceFirst ? model.tokenizer().bos() : Tokenizer.NO_TOKEN;
        List<String> progress = new ArrayList<>();
        Perplexity.Result result = calculator().evaluate(TOKENS, bos, -1,
                (chunk, chunks, ppl) -> progress.add(chunk + "/" + chunks + "=" + ppl));
        double[] expected = straightforward(bos, 5);
        assertThat(result.chunks()).isEqualTo(5);
        assertThat(result.tokensScored()).isEqualTo(5 * (N_CTX - 1 - N_CTX / 2));
        assertThat(result.contextLength()).isEqualTo(N_CTX);
        assertThat(result.perplexity()).isCloseTo(expected[0], within(1e-6 * expected[0]));
        assertThat(result.error()).isCloseTo(expected[1], within(1e-6 * expected[1]));
        assertThat(progress).hasSize(5).first().asString().startsWith("1/5=");
        assertThat(progress.getLast()).isEqualTo("5/5=" + result.perplexity());
    }

    @Test
    void replacingTheFirstTokenWithBosChangesTheResult() {
        double kept = calculator().evaluate(TOKENS, Tokenizer.NO_TOKEN, 2, (chunk, chunks, ppl) -> { }).perplexity();
        double replaced = calculator().evaluate(TOKENS, model.tokenizer().bos(), 2, (chunk, chunks, ppl) -> { }).perplexity();
        assertThat(replaced).isNotCloseTo(kept, within(1e-9 * kept));
    }

    @Test
    void chunksCanBeLimited() {
        Perplexity.Result result = calculator().evaluate(TOKENS, Tokenizer.NO_TOKEN, 2, (chunk, chunks, ppl) -> { });
        double[] expected = straightforward(Tokenizer.NO_TOKEN, 2);
        assertThat(result.chunks()).isEqualTo(2);
        assertThat(result.tokensScored()).isEqualTo(2 * (N_CTX - 1 - N_CTX / 2));
        assertThat(result.perplexity()).isCloseTo(expected[0], within(1e-6 * expected[0]));
    }

    @Test
    void aTextShorterThanTwoChunksIsRefusedWithItsLength() {
        int[] tooShort = Arrays.copyOf(TOKENS, 2 * N_CTX - 1);
        assertThatThrownBy(() -> calculator().evaluate(tooShort, Tokenizer.NO_TOKEN, -1, (chunk, chunks, ppl) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the text has 31 tokens; perplexity with a context of 16 needs at least 32");
    }

    @Test
    void negativeLogLikelihoodIsMinusTheLogSoftmax() {
        // Probabilities 1/4 and 3/4, after an unused logit and at an offset.
        float[] logits = {99f, 0f, (float) Math.log(3)};
        assertThat(Perplexity.negativeLogLikelihood(logits, 1, 2, 0)).isCloseTo(Math.log(4), within(1e-7));
        assertThat(Perplexity.negativeLogLikelihood(logits, 1, 2, 1)).isCloseTo(-Math.log(0.75), within(1e-7));
        // Large logits must not overflow: equal ones are a uniform distribution.
        float[] large = {1000f, 1000f, 1000f, 1000f};
        assertThat(Perplexity.negativeLogLikelihood(large, 0, 4, 2)).isCloseTo(Math.log(4), within(1e-12));
        assertThatThrownBy(() -> Perplexity.negativeLogLikelihood(large, 0, 4, 4))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
