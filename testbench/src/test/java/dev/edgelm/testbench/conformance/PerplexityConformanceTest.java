package dev.edgelm.testbench.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.generate.Perplexity;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.conformance.InferenceConformanceTest.Case;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.launcher.InProcessEdgeLm;
import dev.edgelm.testbench.peer.LlamaCppPeer;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code edgelm perplexity} against llama.cpp on the same files and text: the perplexities agree within
 * {@value #RELATIVE_TOLERANCE} relative, on several architectures and weight types.
 *
 * <p>llama-run.mjs has no perplexity mode, so llama.cpp's perplexity is computed here from its prompt
 * log-probabilities, chunk by chunk exactly as {@code llama-perplexity} evaluates them: each chunk of {@value #N_CTX}
 * tokens in a fresh context, its first token replaced by BOS when the vocabulary adds BOS, and the tokens after
 * positions {@code [N_CTX/2, N_CTX-2]} scored. The tokens are EdgeLM's, after a check that llama.cpp tokenizes the
 * text to the same ids. The llama fixtures carry the SentencePiece vocabulary of {@code ggml-vocab-llama-spm.gguf}
 * (which adds BOS, so the replacement is exercised); the others the built-in byte-level BPE one (which does not).
 *
 * <p>As in {@link InferenceConformanceTest}, both sides keep the KV cache in F32 (llama.cpp without flash
 * attention) for the tight comparison, and the float fixture is also compared with both sides' default F16 caches.
 * Random weights make the perplexities huge; only agreement matters. Skipped when the peer is not installed.
 */
class PerplexityConformanceTest {
    static final double RELATIVE_TOLERANCE = 0.005;
    static final int N_CTX = 128;
    static final int CHUNKS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Varied English, several chunks long in either vocabulary (the file adds a final newline, which is dropped). */
    static final String TEXT = """
            The lighthouse keeper wrote in his log every evening, even when nothing happened. On the third of \
            March he noted a ship far to the south, its lamps burning orange against a grey sky; by midnight it had \
            gone. He kept bread, tea, two lamps and a radio that only spoke when the wind was from the west.
            Modern processors are fast, but memory is slow: a laptop can multiply billions of numbers each second, \
            yet it waits for data most of that time. Engineers therefore arrange their arrays so that neighbouring \
            values are read together, and they reuse whatever already sits in the cache.
            "Are you coming to the market on Saturday?" asked Maria. "Only if it doesn't rain," replied her \
            brother, who disliked umbrellas, crowds and, above all, waiting in queues for cheese.
            In 1969, roughly 600 million people watched two astronauts walk on the Moon. The lunar module carried \
            a computer with about 4 kilobytes of erasable memory; today a greeting card can hold more.
            Gardening teaches patience. Seeds planted in April may not flower until July, and a cold night can undo \
            weeks of careful work. Still, the first ripe tomato of summer tastes better than anything from a shop.
            The committee met at 9:30 to discuss the budget (which was late again), the new parking rules, and a \
            proposal to paint the library blue. After two hours they agreed only to meet again next Tuesday.
            Rivers shape the land slowly. Over thousands of years, water cuts valleys through rock, carries sand to \
            the sea, and builds wide deltas where birds, fish and farmers all find something to eat.
            She opened the old letter carefully. The ink had faded to brown, but the handwriting was clear: \
            "Dear Thomas, the harvest was good this year, and we hope you will visit before the snow arrives."
            """;

    /** llama.cpp's answers for one case: the tokenization, then the chunks with F32 and (float only) F16 caches. */
    private record PeerAnswers(JsonNode tokens, List<JsonNode> f32Chunks, List<JsonNode> defaultChunks) {}

    @TempDir
    static Path dir;

    private static Path textFile;
    private static final Map<Case, int[]> OUR_TOKENS = new HashMap<>();
    private static final Map<Case, PeerAnswers> PEER = new LinkedHashMap<>();

    static Stream<Case> cases() {
        return Stream.of(new Case("llama", "F16"), new Case("llama", "Q4_K_M"), new Case("qwen2", "Q8_0"),
                new Case("phi3", "Q4_K_M"), new Case("bitnet", "TQ2_0"));
    }

    static Stream<Case> floatCases() {
        return cases().filter(Case::floatWeights);
    }

    static Path spmVocabulary() {
        return Path.of(System.getProperty("edgelm.shared.dir", "../../shared"), "vocab", "ggml-vocab-llama-spm.gguf");
    }

    @BeforeAll
    static void askLlamaCpp() throws IOException {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        assumeTrue(Files.isRegularFile(spmVocabulary()), "../shared/vocab is absent: " + spmVocabulary());
        textFile = Files.writeString(dir.resolve("text.txt"), TEXT, StandardCharsets.UTF_8);
        String text = TEXT.substring(0, TEXT.length() - 1);
        List<Case> cases = cases().toList();
        List<Map<String, Object>> requests = new ArrayList<>();
        try (GgufFile spm = GgufFile.open(spmVocabulary())) {
            for (Case c : cases) {
                FixtureTokenizer tokenizer = c.architecture().equals("llama")
                        ? FixtureTokenizer.copiedFrom(spm) : TinyFixtures.builtinVocabulary();
                Path file = TinyFixtures.tiny(dir, c.architecture(), c.types(), ShapePreset.TINY.shape(), tokenizer,
                        11);
                int[] tokens;
                int bos;
                try (Model model = Model.open(file)) {
                    tokens = Perplexity.tokenize(model.tokenizer(), text);
                    bos = model.tokenizer().addsBos() ? model.tokenizer().bos() : Tokenizer.NO_TOKEN;
                }
                OUR_TOKENS.put(c, tokens);
                List<Map<String, Object>> fileRequests = new ArrayList<>();
                fileRequests.add(Map.of("mode", "tokenize", "text", text, "bos", true));
                for (int chunk = 0; chunk < CHUNKS; chunk++) {
                    fileRequests.add(chunkRequest(tokens, bos, chunk, Map.of("kv_type", "f32",
                            "flash_attention", false)));
                }
                if (c.floatWeights()) {
                    for (int chunk = 0; chunk < CHUNKS; chunk++) {
                        fileRequests.add(chunkRequest(tokens, bos, chunk, Map.of()));
                    }
                }
                requests.add(Map.of("model", file.toString(), "requests", fileRequests));
            }
        }
        List<JsonNode> answers = peer.llamaRunModels(Map.of("timeout_s", 900, "threads", 2), requests);
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            JsonNode answer = answers.get(i);
            assertThat(answer.path("ok").asBoolean()).as("llama.cpp on %s: %s", c, answer).isTrue();
            List<JsonNode> results = new ArrayList<>();
            answer.path("results").forEach(results::add);
            PEER.put(c, new PeerAnswers(results.get(0), results.subList(1, 1 + CHUNKS),
                    c.floatWeights() ? results.subList(1 + CHUNKS, 1 + 2 * CHUNKS) : List.of()));
        }
    }

    /** One chunk as llama-perplexity feeds it: its tokens, BOS in place of the first when the vocabulary adds BOS. */
    private static Map<String, Object> chunkRequest(int[] tokens, int bos, int chunk, Map<String, Object> cache) {
        int[] window = Arrays.copyOfRange(tokens, chunk * N_CTX, (chunk + 1) * N_CTX);
        if (bos != Tokenizer.NO_TOKEN) {
            window[0] = bos;
        }
        Map<String, Object> request = new HashMap<>(cache);
        request.putAll(Map.of("mode", "logits", "tokens", Arrays.stream(window).boxed().toList(),
                "prompt_logprobs", true, "top_k", 0, "ctx", N_CTX));
        return request;
    }

    /** The perplexity and its error from llama.cpp's prompt log-probabilities, as llama-perplexity sums them. */
    private static double[] llamaCppPerplexity(List<JsonNode> chunks) {
        double nll = 0;
        double nll2 = 0;
        int count = 0;
        for (JsonNode chunk : chunks) {
            assertThat(chunk.path("ok").asBoolean()).as("llama.cpp chunk: %s", chunk).isTrue();
            JsonNode logprobs = chunk.path("prompt_logprobs");
            assertThat(logprobs.size()).isEqualTo(N_CTX - 1);
            // prompt_logprobs[j] is the log-probability of token j + 1 after tokens 0..j.
            for (int j = N_CTX / 2; j <= N_CTX - 2; j++) {
                double v = -logprobs.get(j).path("logprob").asDouble();
                nll += v;
                nll2 += v * v;
                count++;
            }
        }
        double mean = nll / count;
        double ppl = Math.exp(mean);
        return new double[] {ppl, Math.sqrt((nll2 / count - mean * mean) / (count - 1)) * ppl};
    }

    /** {@code edgelm perplexity --json} in-process, as a user runs it. */
    private static JsonNode ours(Case c, String kvType) throws IOException {
        InProcessEdgeLm.Run run = InProcessEdgeLm.edgelm("perplexity", "-m",
                dir.resolve(c.fileName()).toString(), "-f", textFile.toString(), "-c", String.valueOf(N_CTX),
                "--chunks", String.valueOf(CHUNKS), "--kv-type", kvType, "-t", "2", "--json");
        assertThat(run.status()).as("%s: %s", c, run.err()).isZero();
        assertThat(run.err()).startsWith("[1]").contains("[" + CHUNKS + "]");
        return JSON.readTree(run.out());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void llamaCppTokenizesTheTextTheSame(Case c) {
        JsonNode theirs = PEER.get(c).tokens().path("tokens");
        int[] ours = OUR_TOKENS.get(c);
        assertThat(ours.length).as("%s: the text must give %d chunks", c, CHUNKS).isGreaterThanOrEqualTo(CHUNKS * N_CTX);
        int[] theirIds = new int[theirs.size()];
        Arrays.setAll(theirIds, i -> theirs.get(i).asInt());
        assertThat(ours).as(c.toString()).isEqualTo(theirIds);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void perplexityAgreesWithF32Caches(Case c) throws IOException {
        assertAgree(c + " (F32 caches)", ours(c, "f32"), llamaCppPerplexity(PEER.get(c).f32Chunks()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floatCases")
    void perplexityAgreesWithDefaultF16Caches(Case c) throws IOException {
        assertAgree(c + " (F16 caches, llama.cpp's flash attention)", ours(c, "f16"),
                llamaCppPerplexity(PEER.get(c).defaultChunks()));
    }

    private static void assertAgree(String label, JsonNode ours, double[] theirs) {
        double ppl = ours.path("ppl").asDouble();
        double error = ours.path("ppl_error").asDouble();
        System.out.printf("PerplexityConformanceTest %s: edgelm PPL = %.4f +/- %.4f, llama.cpp PPL = %.4f +/- %.4f, "
                + "relative difference %.2e%n", label, ppl, error, theirs[0], theirs[1],
                Math.abs(ppl - theirs[0]) / theirs[0]);
        assertThat(ours.path("chunks").asInt()).isEqualTo(CHUNKS);
        assertThat(ours.path("tokens_scored").asInt()).isEqualTo(CHUNKS * (N_CTX - 1 - N_CTX / 2));
        assertThat(ours.path("n_ctx").asInt()).isEqualTo(N_CTX);
        assertThat(ppl).as("%s: perplexity", label).isCloseTo(theirs[0], within(RELATIVE_TOLERANCE * theirs[0]));
        // The error is the spread of the same scores: it agrees about as well.
        assertThat(error).as("%s: uncertainty", label).isCloseTo(theirs[1], within(2 * RELATIVE_TOLERANCE * theirs[1]));
    }
}
