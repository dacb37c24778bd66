package dev.edgelm.testbench.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.peer.Distributions;
import dev.edgelm.testbench.peer.LlamaCppPeer;
import dev.edgelm.testbench.reference.TestShapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EdgeLM's runtime against llama.cpp on the same files (at {@link TestShapes}, which make Gemma 2's window slide
 * and OpenELM's head counts differ between layers): for every architecture and weight type, the top-5
 * next-token log-probabilities after a prompt agree within {@value #LOGPROB_TOLERANCE}, and greedy continuations of
 * {@value #GREEDY_TOKENS} tokens agree.
 *
 * <p>Both sides keep the KV cache in F32 (llama.cpp also without flash attention, which rounds queries to F16).
 * The reason: with 8-bit activations, any difference at all, however small, flips the rounding of some activation
 * codes, and random-weight models carry that up to a few hundredths of a log-probability; on our own side, F16
 * instead of F32 keys and values moves a pure-Q8_0 fixture's top-5 by 0.037. With F32 caches most fixtures agree
 * exactly, and the rest differ only where llama.cpp's x86 code quantizes activations its own way (Q8_1 for
 * Q4_1/Q5_1, repacked Q4_0). The F16 caches, both sides' default, are compared on the float-weight fixtures, where
 * no activation is quantized.
 *
 * <p>Random-weight models have near-ties, where the two sides' rounding may pick different tokens: a greedy
 * continuation may leave llama.cpp's only at a step where llama.cpp's own top two log-probabilities are within
 * {@value #LOGPROB_TOLERANCE} of each other, and the comparison ends there (the contexts differ after it). Such
 * near-tie divergences are printed.
 *
 * <p>All fixtures go through one llama.cpp process ({@code llama-run.mjs --models}). Skipped (not failed) when the
 * peer is not installed.
 */
class InferenceConformanceTest {
    static final double LOGPROB_TOLERANCE = 0.05;
    static final int GREEDY_TOKENS = 32;

    /** One fixture: an architecture and a llama-quantize type name. */
    record Case(String architecture, String types) {
        /** Whether no matrix is quantized (so no activation is either). */
        boolean floatWeights() {
            return types.matches("(pure-)?(F32|F16|BF16)");
        }

        String fileName() {
            return architecture + "-" + types + ".gguf";
        }

        @Override
        public String toString() {
            return architecture + " " + types;
        }
    }

    /** What each side answered for one case; the default-cache pair only for float weights. */
    private record Answers(double[] ours, JsonNode theirs, GenerationResult ourGreedy, JsonNode theirGreedy,
            double[] oursF16, JsonNode theirsDefault) {}

    @TempDir
    static Path dir;

    private static final Map<Case, Answers> ANSWERS = new LinkedHashMap<>();
    private static ComputePool pool;

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // Every block format on llama, as pure files (every matrix in that type), plus the real mixes.
        for (String type : List.of("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K",
                "Q6_K", "TQ1_0", "TQ2_0")) {
            cases.add(new Case("llama", "pure-" + type));
        }
        cases.add(new Case("llama", "Q4_0"));
        cases.add(new Case("llama", "Q4_K_M"));
        for (String arch : List.of("qwen2", "qwen3", "phi3", "openelm", "gemma", "gemma2", "phi2", "gpt2")) {
            // F16 is the float case; Q8_0 and Q4_K_M the two usual quantized mixes.
            for (String types : List.of("F16", "Q8_0", "Q4_K_M")) {
                cases.add(new Case(arch, types));
            }
        }
        cases.add(new Case("bitnet", "TQ1_0"));
        cases.add(new Case("bitnet", "TQ2_0"));
        return cases.stream();
    }

    /** Prompts of random ids: a long one for the distribution (RoPE turns far), a short one to continue. */
    private static final int[] LOGITS_PROMPT = TinyFixtures.prompt(40, 1);
    private static final int[] GREEDY_PROMPT = TinyFixtures.prompt(6, 2);

    @BeforeAll
    static void runBothSides() throws IOException {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        pool = new ComputePool(2);
        List<Case> cases = cases().toList();
        List<Map<String, Object>> requests = new ArrayList<>();
        for (Case c : cases) {
            Path file = TinyFixtures.tiny(dir, c.architecture(), c.types(),
                    TestShapes.forArchitecture(c.architecture()), TinyFixtures.builtinVocabulary(), 7);
            List<Map<String, Object>> fileRequests = new ArrayList<>(List.of(
                    Map.of("mode", "logits", "tokens", boxed(LOGITS_PROMPT), "top_k", 5, "kv_type", "f32",
                            "flash_attention", false),
                    Map.of("mode", "generate", "tokens", boxed(GREEDY_PROMPT), "n_predict", GREEDY_TOKENS,
                            "top_k", 2, "kv_type", "f32", "flash_attention", false)));
            if (c.floatWeights()) {
                fileRequests.add(Map.of("mode", "logits", "tokens", boxed(LOGITS_PROMPT), "top_k", 5));
            }
            requests.add(Map.of("model", file.toString(), "requests", fileRequests));
        }
        List<JsonNode> peerAnswers = peer.llamaRunModels(Map.of("timeout_s", 600), requests);
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            JsonNode answer = peerAnswers.get(i);
            assertThat(answer.path("ok").asBoolean()).as("llama.cpp on %s: %s", c, answer).isTrue();
            JsonNode results = answer.path("results");
            try (Model model = Model.open(dir.resolve(c.fileName()))) {
                ANSWERS.put(c, new Answers(ourLogprobs(model, KvCacheType.F32), results.get(0), ourGreedy(model),
                        results.get(1), c.floatWeights() ? ourLogprobs(model, KvCacheType.F16) : null,
                        c.floatWeights() ? results.get(2) : null));
            }
        }
    }

    @AfterAll
    static void closePool() {
        if (pool != null) {
            pool.close();
        }
    }

    private static ContextOptions context(KvCacheType cache) {
        return ContextOptions.defaults().withContextLength(256).withKvCacheType(cache);
    }

    private static double[] ourLogprobs(Model model, KvCacheType cache) {
        ForwardPass pass = model.newSequence(Kernels.get(), pool, context(cache));
        float[] logits = new float[model.config().vocabularySize()];
        pass.forward(LOGITS_PROMPT, 0, LOGITS_PROMPT.length, 0, logits);
        return Distributions.logSoftmax(logits);
    }

    private static GenerationResult ourGreedy(Model model) {
        Session session = new Session(model.newSequence(Kernels.get(), pool, context(KvCacheType.F32)),
                model.tokenizer());
        return session.generate(GenerationRequest.of(GREEDY_PROMPT, SamplingParams.greedy(), GREEDY_TOKENS),
                TokenSink.none());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void topFiveLogprobsAgree(Case c) {
        Answers a = ANSWERS.get(c);
        assertTopFiveAgree(c + " (F32 caches)", a.ours(), a.theirs());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floatCases")
    void topFiveLogprobsAgreeWithDefaultF16Caches(Case c) {
        Answers a = ANSWERS.get(c);
        assertTopFiveAgree(c + " (F16 caches, llama.cpp's flash attention)", a.oursF16(), a.theirsDefault());
    }

    static Stream<Case> floatCases() {
        return cases().filter(Case::floatWeights);
    }

    private static void assertTopFiveAgree(String label, double[] ours, JsonNode theirs) {
        JsonNode theirTop = theirs.path("next").path("top_logprobs");
        assertThat(theirTop.size()).as("%s: llama.cpp's answer %s", label, theirs).isEqualTo(5);
        double worst = 0;
        for (JsonNode pair : theirTop) {
            int token = pair.get(0).asInt();
            double diff = Math.abs(ours[token] - pair.get(1).asDouble());
            worst = Math.max(worst, diff);
            assertThat(diff).as("%s: |logprob difference| of token %d", label, token).isLessThan(LOGPROB_TOLERANCE);
        }
        System.out.printf("InferenceConformanceTest %s: top-5 max |dlogprob| %.4f%n", label, worst);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyContinuationsAgree(Case c) {
        Answers a = ANSWERS.get(c);
        int[] ours = a.ourGreedy().tokens();
        JsonNode theirs = a.theirGreedy().path("tokens");
        int n = Math.min(ours.length, theirs.size());
        for (int i = 0; i < n; i++) {
            if (ours[i] != theirs.get(i).asInt()) {
                JsonNode top = a.theirGreedy().path("top_logprobs").get(i);
                double gap = top.get(0).get(1).asDouble() - top.get(1).get(1).asDouble();
                System.out.printf("InferenceConformanceTest %s: near-tie divergence at token %d (llama.cpp's top two"
                        + " %.4f apart)%n", c, i, gap);
                assertThat(gap).as("%s: greedy token %d differs (ours %s, llama.cpp %s) and llama.cpp's top two are"
                        + " %.4f apart", c, i, Arrays.toString(ours), theirs, gap).isLessThan(LOGPROB_TOLERANCE);
                return;
            }
        }
        assertThat(ours.length).as("%s: tokens generated (ours %s, llama.cpp %s)", c, Arrays.toString(ours), theirs)
                .isEqualTo(theirs.size());
    }

    private static List<Integer> boxed(int[] tokens) {
        return Arrays.stream(tokens).boxed().toList();
    }
}
