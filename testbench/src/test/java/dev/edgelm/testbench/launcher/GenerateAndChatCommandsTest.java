package dev.edgelm.testbench.launcher;

import static dev.edgelm.testbench.launcher.InProcessEdgeLm.edgelm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.launcher.InProcessEdgeLm.Run;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgelm generate} and {@code edgelm chat} on generated models, in-process: the JSON contract of
 * DESIGN.md section 3, agreement with the session API, chat templates, and the errors.
 */
class GenerateAndChatCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Path model;
    /** A qwen2 fixture with Qwen2's real vocabulary, whose ChatML template the chat commands must use. */
    private static Path chatModel;

    @BeforeAll
    static void writeFixtures() throws IOException {
        model = TinyFixtures.tiny(dir, "llama", "Q8_0", ShapePreset.TINY.shape(), TinyFixtures.builtinVocabulary(),
                3);
        Path vocab = Path.of(System.getProperty("edgelm.shared.dir", "../shared"), "vocab", "ggml-vocab-qwen2.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(vocab), "../shared/vocab is not here");
        try (GgufFile vocabulary = GgufFile.open(vocab)) {
            chatModel = TinyFixtures.tiny(dir, "qwen2", "Q8_0", ShapePreset.TINY.shape(),
                    FixtureTokenizer.copiedFrom(vocabulary), 3);
        }
    }

    @Test
    void generateJsonFollowsTheContractAndMatchesTheSessionApi() throws IOException {
        Run run = edgelm("generate", "-m", model.toString(), "-p", "Hello world", "-n", "12", "--temp", "0",
                "--top-logprobs", "3", "--json", "-t", "1");
        assertThat(run.status()).as(run.err()).isZero();
        JsonNode result = JSON.readTree(run.out());
        assertThat(result.path("tokens").size()).isBetween(1, 12);
        assertThat(result.path("prompt_tokens").asInt()).isPositive();
        assertThat(result.path("prefill_tps").asDouble()).isPositive();
        assertThat(result.path("text").isTextual()).isTrue();
        assertThat(result.path("stop_reason").asText()).isIn("length", "end_of_generation");
        JsonNode top = result.path("top_logprobs");
        assertThat(top.size()).isEqualTo(result.path("tokens").size());
        for (int i = 0; i < top.size(); i++) {
            assertThat(top.get(i).size()).isEqualTo(3);
            // Greedy: the generated token is the most likely one.
            assertThat(top.get(i).get(0).get(0).asInt()).isEqualTo(result.path("tokens").get(i).asInt());
            assertThat(top.get(i).get(0).get(1).asDouble()).isNegative();
        }

        try (Model m = Model.open(model); ComputePool pool = new ComputePool(1)) {
            int[] prompt = m.tokenizer().encode("Hello world", true, false);
            assertThat(result.path("prompt_tokens").asInt()).isEqualTo(prompt.length);
            Session session = new Session(m.newSequence(Kernels.get(), pool, ContextOptions.defaults()),
                    m.tokenizer());
            int[] tokens = session.generate(GenerationRequest.of(prompt, SamplingParams.greedy(), 12),
                    TokenSink.none()).tokens();
            List<Integer> printed = new ArrayList<>();
            result.path("tokens").forEach(t -> printed.add(t.asInt()));
            assertThat(printed).containsExactly(java.util.Arrays.stream(tokens).boxed().toArray(Integer[]::new));
        }
    }

    @Test
    void anEmptyPromptStartsFromBosAlone() throws IOException {
        Run run = edgelm("generate", "-m", model.toString(), "-n", "3", "--temp", "0", "--json");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(JSON.readTree(run.out()).path("prompt_tokens").asInt()).isEqualTo(1);
    }

    @Test
    void plainOutputStreamsTheTextAndSummarisesOnStandardError() {
        Run run = edgelm("generate", "-m", model.toString(), "-p", "Hi", "-n", "4", "--temp", "0", "--seed", "1");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.err()).containsPattern("prompt: \\d+ tokens, .* tokens/s; generated: \\d+ tokens");
    }

    @Test
    void chatPromptsGoThroughTheModelsTemplate() throws IOException {
        Run plain = edgelm("generate", "-m", chatModel.toString(), "-p", "Hi", "-n", "1", "--temp", "0", "--json");
        Run chat = edgelm("generate", "-m", chatModel.toString(), "-p", "Hi", "--chat", "--system", "Be brief", "-n",
                "1", "--temp", "0", "--json");
        assertThat(chat.status()).as(chat.err()).isZero();
        assertThat(chat.err()).as("qwen2's template is ChatML: no fallback warning").doesNotContain("ChatML");
        // "<|im_start|>system\nBe brief<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n": the
        // control tokens are single tokens, so the chat prompt is a handful of tokens longer than "Hi".
        int plainTokens = JSON.readTree(plain.out()).path("prompt_tokens").asInt();
        int chatTokens = JSON.readTree(chat.out()).path("prompt_tokens").asInt();
        assertThat(chatTokens).isBetween(plainTokens + 10, plainTokens + 20);
    }

    @Test
    void chatAnswersEachLineAndReusesTheConversation() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Hello\n\nHow are you?\n/exit\nnot read\n"
                    .getBytes(StandardCharsets.UTF_8)));
            Run run = edgelm("chat", "-m", chatModel.toString(), "-n", "3", "--temp", "0");
            assertThat(run.status()).as(run.err()).isZero();
            assertThat(run.err()).contains("template chatml");
            // Two replies (the blank line is skipped, nothing after /exit is read), each summarised.
            assertThat(run.err().lines().filter(l -> l.contains("tokens/s")).count()).isEqualTo(2);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void errorsAreOneLine() {
        Run tooLong = edgelm("generate", "-m", model.toString(), "-p", "a b c d e f g h i j k l m n o p", "-c", "8",
                "-n", "4");
        assertThat(tooLong.status()).isEqualTo(1);
        assertThat(tooLong.err().strip()).contains("context is full").doesNotContain("\n");

        Run systemAlone = edgelm("generate", "-m", model.toString(), "--system", "x");
        assertThat(systemAlone.status()).isEqualTo(2);
        assertThat(systemAlone.err()).contains("--system needs --chat");

        Run logprobsAsText = edgelm("generate", "-m", model.toString(), "--top-logprobs", "2");
        assertThat(logprobsAsText.status()).isEqualTo(2);
        assertThat(logprobsAsText.err()).contains("--top-logprobs needs --json");

        Run badCache = edgelm("generate", "-m", model.toString(), "--kv-type", "q4");
        assertThat(badCache.status()).isEqualTo(2);
        assertThat(badCache.err()).contains("f16, f32 or q8_0");

        Run missing = edgelm("generate", "-m", dir.resolve("absent.gguf").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err().strip()).endsWith("absent.gguf").doesNotContain("\n");
    }
}
