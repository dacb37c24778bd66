package dev.edgelm.testbench.launcher;

import static dev.edgelm.testbench.launcher.InProcessEdgeLm.edgelm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.agent.cli.CommandRunner;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.launcher.InProcessEdgeLm.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgelm perplexity} and {@code edgelm bench} on a generated model (TINY shape, context 512, built-in
 * vocabulary), in-process: the output formats and the errors that need a real model. Agreement with llama.cpp is
 * {@code PerplexityConformanceTest}'s.
 */
class PerplexityAndBenchCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Path model;
    private static Path text;

    @BeforeAll
    static void writeFixtures() throws IOException {
        model = TinyFixtures.tiny(dir, "llama", "Q8_0", ShapePreset.TINY.shape(), TinyFixtures.builtinVocabulary(),
                1);
        text = Files.writeString(dir.resolve("text.txt"), """
                A short text: enough for a few chunks of sixteen tokens, and far too short for the default context \
                of five hundred and twelve tokens, which needs at least one thousand and twenty-four.
                """);
    }

    @Test
    void perplexityPrintsProgressAndTheFinalEstimate() {
        Run run = edgelm("perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "16", "--chunks", "2",
                "-t", "1");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out().lines().toList()).singleElement().asString()
                .matches("Final estimate: PPL = \\d+\\.\\d{4} \\+/- \\d+\\.\\d{5}");
        assertThat(run.err()).containsPattern("\\[1]\\d+\\.\\d{4},\\[2]\\d+\\.\\d{4},\n");
    }

    @Test
    void perplexityJsonHasEveryField() throws IOException {
        Run run = edgelm("perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "16", "--chunks", "2",
                "-t", "1", "--json");
        assertThat(run.status()).as(run.err()).isZero();
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.path("ppl").asDouble()).isGreaterThan(1);
        assertThat(json.path("ppl_error").asDouble()).isPositive();
        assertThat(json.path("chunks").asInt()).isEqualTo(2);
        assertThat(json.path("tokens_scored").asInt()).isEqualTo(2 * 7);
        assertThat(json.path("n_ctx").asInt()).isEqualTo(16);
        assertThat(json.path("seconds").asDouble()).isPositive();
    }

    @Test
    void aTooShortTextSaysHowManyTokensItHasAndNeeds() {
        Run run = edgelm("perplexity", "-m", model.toString(), "-f", text.toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.err().lines().toList()).singleElement().asString()
                .matches("edgelm: the text has \\d+ tokens; perplexity with a context of 512 needs at least 1024");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aContextLongerThanTheModelsIsRefused() {
        Run run = edgelm("perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "1024");
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.err().lines().toList()).containsExactly(
                "edgelm: a context of 1024 is longer than the 512 the model was trained for");
    }

    @Test
    void benchJsonReportsPositiveSpeedsMemoryAndSetUp() throws IOException {
        Run run = edgelm("bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "2", "-t", "1", "--json");
        assertThat(run.status()).as(run.err()).isZero();
        JsonNode json = JSON.readTree(run.out());
        for (String field : new String[] {"prefill_tps", "decode_tps", "model_size_bytes", "decode_cpu_cores"}) {
            assertThat(json.path(field).asDouble()).as(field).isPositive();
        }
        for (String field : new String[] {"prefill_tps_stddev", "decode_tps_stddev"}) {
            assertThat(json.path(field).isNumber()).as(field).isTrue();
            assertThat(json.path(field).asDouble()).as(field).isNotNegative();
        }
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertThat(json.path("peak_rss_bytes").asLong()).isPositive();
        } else {
            assertThat(json.path("peak_rss_bytes").isNull()).isTrue();
        }
        assertThat(json.path("model_size_bytes").asLong()).isEqualTo(Files.size(model));
        assertThat(json.path("threads").asInt()).isEqualTo(1);
        assertThat(json.path("kernels").asText()).isNotBlank();
        assertThat(json.path("architecture").asText()).isEqualTo("llama");
        assertThat(json.path("n_prompt").asInt()).isEqualTo(8);
        assertThat(json.path("n_gen").asInt()).isEqualTo(4);
        assertThat(json.path("repetitions").asInt()).isEqualTo(2);
    }

    @Test
    void benchTextNamesEachMeasurement() {
        Run run = edgelm("bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "1");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("prefill: +8 tokens, \\d+\\.\\d\\d \\+/- 0\\.00 tokens/s")
                .containsPattern("decode: +4 tokens, \\d+\\.\\d\\d \\+/- 0\\.00 tokens/s, \\d+\\.\\d\\d CPU cores busy")
                .containsPattern("peak RSS: (\\d+\\.\\d MiB|n/a)")
                .contains("threads:  1, kernels: ");
    }
}
