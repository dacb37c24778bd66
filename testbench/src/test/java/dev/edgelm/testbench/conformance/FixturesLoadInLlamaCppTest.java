package dev.edgelm.testbench.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.testbench.fixtures.FixtureGenerator;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ModelLayout;
import dev.edgelm.testbench.fixtures.ModelSpec;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TypeMix;
import dev.edgelm.testbench.peer.LlamaCppPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp itself loads the files EdgeLM's writer and fixture generator make, and runs them: every architecture
 * (in the mixed Q4_K_M types, which puts Q4_K, Q6_K and the 32-block fallbacks in one file), every pure tensor type
 * llama.cpp knows, and tokenizers copied from each shared vocabulary.
 */
class FixturesLoadInLlamaCppTest {
    private static final String PROMPT = "The sensor reads 21.5 degrees.";

    @TempDir
    static Path dir;

    /** llama.cpp's answer for each fixture, from one node process ({@code llama-run.mjs --models}). */
    private static final Map<String, JsonNode> ANSWERS = new HashMap<>();
    private static final Map<String, ModelSpec> SPECS = new HashMap<>();

    static Stream<Arguments> fixtures() {
        List<Arguments> cases = new ArrayList<>();
        for (ModelLayout layout : ModelLayout.all()) {
            cases.add(Arguments.of(layout.architecture(), "Q4_K_M", null));
        }
        for (String type : List.of("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K",
                "Q6_K", "TQ1_0", "TQ2_0")) {
            cases.add(Arguments.of("llama", "pure-" + type, null));
        }
        for (String vocab : List.of("ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf",
                "ggml-vocab-qwen2.gguf")) {
            cases.add(Arguments.of(vocab.contains("qwen2") ? "qwen2" : "llama", "Q8_0", vocab));
        }
        return cases.stream();
    }

    @BeforeAll
    static void runLlamaCppOnEveryFixture() throws IOException {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        List<String> names = new ArrayList<>();
        List<Map<String, Object>> requests = new ArrayList<>();
        for (Arguments a : fixtures().toList()) {
            String arch = (String) a.get()[0];
            String types = (String) a.get()[1];
            String vocabulary = (String) a.get()[2];
            Path vocab = vocabulary == null ? null
                    : Path.of(System.getProperty("edgelm.shared.dir", "../../shared"), "vocab", vocabulary);
            if (vocab != null && !Files.isRegularFile(vocab)) {
                continue; // its test is skipped with a message
            }
            String name = name(arch, types, vocabulary);
            Path file = dir.resolve(name + ".gguf");
            if (vocab == null) {
                SPECS.put(name, write(arch, types, FixtureTokenizer.builtin(1024), file));
            } else {
                try (GgufFile source = GgufFile.open(vocab)) {
                    SPECS.put(name, write(arch, types, FixtureTokenizer.copiedFrom(source), file));
                }
            }
            names.add(name);
            requests.add(Map.of("model", file.toString(), "mode", "logits", "text", PROMPT, "top_k", 5,
                    "n_predict", 2, "kv_type", "f32", "flash_attention", false));
        }
        List<JsonNode> answers = peer.llamaRunModels(Map.of("timeout_s", 600), requests);
        for (int i = 0; i < names.size(); i++) {
            ANSWERS.put(names.get(i), answers.get(i));
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("fixtures")
    void llamaCppLoadsAndRunsTheFixture(String arch, String types, String vocabulary) {
        String name = name(arch, types, vocabulary);
        org.junit.jupiter.api.Assumptions.assumeTrue(ANSWERS.containsKey(name),
                "../shared/vocab is absent: skipping fixtures with copied tokenizers");
        JsonNode answer = ANSWERS.get(name);
        assertThat(answer.path("ok").asBoolean()).as("llama.cpp's answer: %s", answer).isTrue();
        assertThat(answer.path("prompt_tokens")).isNotEmpty();
        JsonNode top = answer.at("/next/top_logprobs");
        assertThat(top).hasSize(5);
        for (JsonNode pair : top) {
            assertThat(pair.get(0).asInt()).isBetween(0, SPECS.get(name).shape().vocabSize() - 1);
            assertThat(pair.get(1).asDouble()).isFinite().isLessThanOrEqualTo(0.0);
        }
        assertThat(answer.path("tokens")).hasSize(2);
    }

    private static String name(String arch, String types, String vocabulary) {
        return arch + "-" + types + (vocabulary == null ? "" : "-" + vocabulary.replace(".gguf", ""));
    }

    private static ModelSpec write(String arch, String types, FixtureTokenizer tokenizer, Path file)
            throws IOException {
        return FixtureGenerator.write(new FixtureGenerator.Request(ModelLayout.of(arch), ShapePreset.TINY.shape(),
                TypeMix.parse(types), tokenizer, FixtureGenerator.Weights.RANDOM, 11), file);
    }
}
