package dev.edgelm.testbench.peerbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.agent.cli.CommandRunner;
import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.testbench.TestbenchCommand;
import dev.edgelm.testbench.peer.LlamaCppPeer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code testbench peer-bench} end to end on the tiny fixture with a few tokens: both engines really run (EdgeLM
 * through the checkout's {@code ./edgelm}, llama.cpp through testbench/peer), and the report's structure and
 * arithmetic are checked. Speeds are not: they are what the report shows, not something a test can judge.
 */
class PeerBenchCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Run run;
    private static JsonNode fixture;

    record Run(int status, String out, String err) {}

    static Run peerBench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] command = new String[args.length + 1];
        command[0] = "peer-bench";
        System.arraycopy(args, 0, command, 1, args.length);
        int status = CommandRunner.run(new TestbenchCommand(), new PrintWriter(out, true), new PrintWriter(err, true),
                command);
        return new Run(status, out.toString(), err.toString());
    }

    @BeforeAll
    static void runTheHarnessOnce() throws IOException {
        Path peer = LlamaCppPeer.locate().dir();
        run = peerBench("--fixtures", "tiny:Q4_0", "-p", "8", "-n", "4", "-t", "1", "--rounds", "2",
                "--cache", dir.resolve("cache").toString(), "--peer", peer.toString(),
                "--markdown", dir.resolve("tables.md").toString(), "--json");
        assertThat(run.status()).as(run.err()).isZero();
        fixture = JSON.readTree(run.out()).path("fixtures").path(0);
    }

    @Test
    void generatesTheFixtureIntoTheCache() {
        assertThat(dir.resolve("cache/tiny-Q4_0.gguf")).isRegularFile();
        assertThat(dir.resolve("cache/tiny-Q4_0.gguf.partial")).doesNotExist();
    }

    @Test
    void bothEnginesRanEveryRoundOnTheSameFile() {
        assertThat(fixture.path("fixture").asText()).isEqualTo("tiny:Q4_0");
        for (String engine : List.of("edgelm", "llama_cpp")) {
            JsonNode side = fixture.path(engine);
            assertThat(side.has("error")).as(side.toString()).isFalse();
            assertThat(side.path("model").asText()).isEqualTo("tiny-Q4_0.gguf");
            assertThat(side.path("backend").asText()).isNotBlank().isNotEqualTo("?");
            assertThat(side.path("rounds")).hasSize(2);
            for (JsonNode round : side.path("rounds")) {
                assertThat(round.path("prefill_tps").asDouble()).isPositive();
                assertThat(round.path("decode_tps").asDouble()).isPositive();
                // Both report the cores they kept busy: some, and no more than the machine has.
                assertThat(round.path("decode_cpu_cores").asDouble()).isPositive()
                        .isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors() + 0.5);
                assertThat(round.path("peak_rss_bytes").asLong()).isPositive();
                assertThat(round.path("ttft_ms").asDouble()).isPositive();
            }
        }
        // The prompt is cut to 32 tokens with EdgeLM's tokenizer; llama.cpp reports its own count.
        assertThat(fixture.path("edgelm").path("rounds").path(0).path("ttft_prompt_tokens").asInt()).isEqualTo(32);
        assertThat(fixture.path("llama_cpp").path("rounds").path(0).path("ttft_prompt_tokens").asInt()).isPositive();
        assertThat(fixture.path("llama_cpp").path("rounds").path(0).path("ttft_in_process_ms").asDouble())
                .isPositive();
        assertThat(fixture.path("edgelm").path("rounds").path(0).path("ttft_in_process_ms").isNull()).isTrue();
    }

    @Test
    void mediansAndRatiosFollowFromTheRounds() {
        for (String metric : List.of("prefill_tps", "decode_tps", "ttft_ms")) {
            double ours = median(fixture.path("edgelm").path("rounds"), metric);
            double theirs = median(fixture.path("llama_cpp").path("rounds"), metric);
            assertThat(fixture.path("edgelm").path("median").path(metric).asDouble()).isEqualTo(ours);
            assertThat(fixture.path("llama_cpp").path("median").path(metric).asDouble()).isEqualTo(theirs);
            assertThat(fixture.path("ratios").path(metric).asDouble()).isCloseTo(ours / theirs, within(1e-12));
        }
        // EdgeLM times nothing of its own for the first token: no median, no ratio.
        assertThat(fixture.path("ratios").path("ttft_in_process_ms").isNull()).isTrue();
    }

    @Test
    void markdownTableShowsBothEnginesAndTheRatios() throws IOException {
        String tables = Files.readString(dir.resolve("tables.md"));
        assertThat(tables).contains("#### tiny:Q4_0", "| | EdgeLM | llama.cpp | EdgeLM / llama.cpp |",
                "EdgeLM: `tiny-Q4_0.gguf`", "llama.cpp: `tiny-Q4_0.gguf`", "medians of 2/2 rounds");
        String prefillRow = tables.lines().filter(l -> l.startsWith("| prefill, tok/s (8-token prompt)"))
                .findFirst().orElseThrow();
        assertThat(prefillRow).endsWith(String.format(Locale.ROOT, "| %.2fx |",
                fixture.path("ratios").path("prefill_tps").asDouble()));
        assertThat(tables).containsPattern("\\| tiny:Q4_0 \\| \\d+\\.\\d\\dx \\| \\d+\\.\\d\\dx \\| \\d+\\.\\d\\dx \\|");
    }

    /**
     * With --repacked, EdgeLM runs the fixture's repacked copy, made beside it on every run (a stale copy from
     * another build is replaced); llama.cpp runs the original.
     */
    @Test
    void repackedRunsEdgeLmOnTheRepackedCopy() throws IOException {
        Files.createDirectories(dir.resolve("cache"));
        Files.writeString(dir.resolve("cache/tiny-Q4_0.repacked.gguf"), "a copy from another build");
        Run repacked = peerBench("--fixtures", "tiny:Q4_0", "-p", "8", "-n", "2", "-t", "1", "--rounds", "1",
                "--cache", dir.resolve("cache").toString(), "--peer", LlamaCppPeer.locate().dir().toString(),
                "--repacked", "--json");
        assertThat(repacked.status()).as(repacked.err()).isZero();
        JsonNode result = JSON.readTree(repacked.out()).path("fixtures").path(0);
        assertThat(result.path("edgelm").path("model").asText()).isEqualTo("tiny-Q4_0.repacked.gguf");
        assertThat(result.path("edgelm").has("error")).as(result.toString()).isFalse();
        assertThat(result.path("llama_cpp").path("model").asText()).isEqualTo("tiny-Q4_0.gguf");
        try (GgufFile copy = GgufFile.open(dir.resolve("cache/tiny-Q4_0.repacked.gguf"))) {
            assertThat(copy.tensors()).anyMatch(t -> t.type() == GgmlType.Q4_0_X16);
        }
    }

    @Test
    void anUnreadableFixtureIsOneClearError() {
        Run missingType = peerBench("--fixtures", "smollm2-135m");
        assertThat(missingType.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(missingType.err().lines().toList()).singleElement().asString()
                .isEqualTo("testbench: unreadable fixture 'smollm2-135m': expected PRESET:TYPE, e.g. smollm2-135m:Q4_0");

        Run badPreset = peerBench("--fixtures", "tiny:Q4_0,gpt-5:Q4_0");
        assertThat(badPreset.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(badPreset.err().lines().toList()).singleElement().asString()
                .startsWith("testbench: unreadable fixture 'gpt-5:Q4_0': ").contains("smollm2-135m");

        Run badType = peerBench("--fixtures", "tiny:Q9_9");
        assertThat(badType.err().lines().toList()).singleElement().asString()
                .startsWith("testbench: unreadable fixture 'tiny:Q9_9': unknown type mix 'Q9_9'");
    }

    private static double median(JsonNode rounds, String field) {
        double[] values = new double[rounds.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = rounds.path(i).path(field).asDouble();
        }
        java.util.Arrays.sort(values);
        int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
