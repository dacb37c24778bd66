package dev.edgelm.testbench.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.ModelShape;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.peer.Distributions;
import dev.edgelm.testbench.reference.ReferenceModel;
import dev.edgelm.testbench.reference.TestShapes;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The runtime's tiled attention (a KV head and a block of query columns per task, the cache walked in tiles of 64
 * positions, an online softmax) where tiles can go wrong: a 150-token prompt that crosses two tile edges, in a
 * context of 200 (its last tile narrower), prefilled in batches of 13, 50 and 150 (batch edges inside tiles, tasks
 * of uneven column blocks), against the F32 reference pass and token by token. Gemma 2 brings a sliding window of 70
 * (it starts inside a tile and slides over tile edges) on every other layer and soft-capped scores; llama three query
 * heads per KV head.
 */
class TiledAttentionTest {
    private static final int[] PROMPT = TinyFixtures.prompt(150, 5);
    private static final int CONTEXT = 200;
    private static final int[] BATCHES = {13, 50, 150};

    @TempDir
    Path dir;

    private static ModelShape shape(String architecture) {
        ModelShape t = ShapePreset.TINY.shape();
        return switch (architecture) {
            case "gemma2" -> TestShapes.forArchitecture("gemma2").withSlidingWindow(70);
            case "llama" -> new ModelShape(384, t.blockCount(), 6, 2, t.headDim(), t.feedForwardLength(),
                    t.vocabSize(), t.contextLength(), t.ropeBase(), t.normEpsilon(), t.tiedEmbeddings(), null,
                    t.partialRotaryDim(), t.slidingWindow(), t.attnLogitSoftcap(), t.finalLogitSoftcap());
            default -> throw new IllegalArgumentException(architecture);
        };
    }

    private static double[] logProbabilities(Model model, ComputePool pool, int batch, KvCacheType cache) {
        ForwardPass pass = model.newSequence(Kernels.get(), pool, ContextOptions.defaults()
                .withContextLength(CONTEXT).withBatchSize(batch).withKvCacheType(cache));
        float[] logits = new float[model.config().vocabularySize()];
        pass.forward(PROMPT, 0, PROMPT.length, 0, logits);
        return Distributions.logSoftmax(logits);
    }

    private static double maxGap(double[] actual, double[] expected) {
        double worst = 0;
        for (int t = 0; t < actual.length; t++) {
            worst = Math.max(worst, Math.abs(actual[t] - expected[t]));
        }
        return worst;
    }

    /**
     * With F32 weights and an F32 cache only summation order separates the runtime from the reference, in batches
     * and token by token: every log-probability within 1e-5 (as for the short prompts of {@link ForwardPassTest}).
     * The F16 and Q8_0 caches round what they store, so against the reference they get the llama.cpp comparison's
     * tolerance on the five most likely tokens; against their own token-by-token run they agree as closely as the
     * keys and values they store do (a last-bit difference in a projection can round the other way, measured up to
     * 1e-4 for F16 and 2e-4 for Q8_0), while a misplaced mask or tile moves log-probabilities by far more.
     */
    @ParameterizedTest
    @CsvSource({"gemma2,F32", "gemma2,F16", "gemma2,Q8_0", "llama,F32", "llama,F16", "llama,Q8_0"})
    void batchesAgreeWithTheReferenceAndTokenByToken(String architecture, String cacheName) throws IOException {
        KvCacheType cache = KvCacheType.valueOf(cacheName);
        Path file = TinyFixtures.tiny(dir, architecture, "pure-F32", shape(architecture));
        try (GgufFile gguf = GgufFile.open(file); Model model = Model.open(file); ComputePool pool = new ComputePool(2)) {
            double[] reference = Distributions.logSoftmax(ReferenceModel.load(gguf).logits(PROMPT));
            double[] single = logProbabilities(model, pool, 1, cache);
            for (int batch : BATCHES) {
                double[] batched = logProbabilities(model, pool, batch, cache);
                double fromReference = maxGap(batched, reference);
                double fromSingle = maxGap(batched, single);
                System.out.printf("TiledAttentionTest %s %s cache, batch %d: max |logprob difference| %.2g from the"
                        + " reference, %.2g from token by token%n", architecture, cache, batch, fromReference,
                        fromSingle);
                assertThat(fromSingle).as("batch %d against token by token", batch).isLessThan(switch (cache) {
                    case F32 -> 1e-5;
                    case F16 -> 1e-3;
                    case Q8_0 -> 1e-2;
                });
                if (cache == KvCacheType.F32) {
                    assertThat(fromReference).as("batch %d against the reference", batch).isLessThan(1e-5);
                } else {
                    double worst = 0;
                    for (int t : Distributions.topK(reference, 5)) {
                        worst = Math.max(worst, Math.abs(batched[t] - reference[t]));
                    }
                    assertThat(worst).as("batch %d against the reference, top 5", batch).isLessThan(0.05);
                    assertThat(Distributions.topK(batched, 1)).isEqualTo(Distributions.topK(reference, 1));
                }
            }
            assertThat(maxGap(single, reference)).as("token by token against the reference")
                    .isLessThan(cache == KvCacheType.F32 ? 1e-5 : 0.1);
        }
    }
}
