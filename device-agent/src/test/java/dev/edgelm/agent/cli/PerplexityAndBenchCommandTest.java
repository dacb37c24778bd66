package dev.edgelm.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.agent.cli.EdgeLmCommandTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The error contract of {@code edgelm perplexity} and {@code edgelm bench} where no model is needed: bad options
 * are usage errors (status 2, the message and a hint), missing files one line (status 1). Runs on real fixtures are
 * in the testbench ({@code PerplexityAndBenchCommandsTest}, {@code PerplexityConformanceTest}).
 */
class PerplexityAndBenchCommandTest {

    @TempDir
    Path dir;

    private static void assertUsageError(Run run, String message) {
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_USAGE);
        assertThat(run.err().lines().toList()).hasSize(2).first().asString().isEqualTo("edgelm: " + message);
        assertThat(run.out()).isEmpty();
    }

    private static void assertFailure(Run run, String message) {
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.err().lines().toList()).containsExactly("edgelm: " + message);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void helpListsBothCommands() {
        Run run = EdgeLmCommandTest.run("--help");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("perplexity").contains("bench");
    }

    @Test
    void perplexityHelpStatesTheDefaultContext() {
        Run run = EdgeLmCommandTest.run("perplexity", "--help");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("-c, --ctx-size=N_CTX").contains("(default: 512)");
    }

    @Test
    void perplexityWithAMissingTextFileSaysWhichFile() {
        Path text = dir.resolve("absent.txt");
        assertFailure(EdgeLmCommandTest.run("perplexity", "-m", dir.resolve("m.gguf").toString(), "-f",
                text.toString()), "no such file: " + text);
    }

    @Test
    void perplexityWithAMissingModelSaysWhichFile() throws IOException {
        Path text = Files.writeString(dir.resolve("text.txt"), "some text\n");
        Path model = dir.resolve("absent.gguf");
        assertFailure(EdgeLmCommandTest.run("perplexity", "-m", model.toString(), "-f", text.toString()),
                "no such file: " + model);
    }

    @Test
    void perplexityNeedsAFile() {
        assertUsageError(EdgeLmCommandTest.run("perplexity", "-m", "m.gguf"),
                "Missing required option: '--file=TEXT_FILE'");
    }

    @Test
    void perplexityRefusesATinyContext() {
        assertUsageError(EdgeLmCommandTest.run("perplexity", "-m", "m.gguf", "-f", "t.txt", "-c", "2"),
                "-c must be at least 4 tokens, got 2");
    }

    @Test
    void perplexityRefusesZeroChunks() {
        assertUsageError(EdgeLmCommandTest.run("perplexity", "-m", "m.gguf", "-f", "t.txt", "--chunks", "0"),
                "--chunks must be positive, or -1 for all; got 0");
    }

    @Test
    void perplexityRefusesAnUnknownCacheType() {
        Run run = EdgeLmCommandTest.run("perplexity", "-m", "m.gguf", "-f", "t.txt", "--kv-type", "q8");
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_USAGE);
        assertThat(run.err().lines().findFirst().orElseThrow()).startsWith("edgelm: ").contains("q8");
    }

    @Test
    void benchRefusesEmptyRuns() {
        assertUsageError(EdgeLmCommandTest.run("bench", "-m", "m.gguf", "-p", "0"),
                "-p, -n and -r must be at least 1, got -p 0 -n 64 -r 5");
        assertUsageError(EdgeLmCommandTest.run("bench", "-m", "m.gguf", "-r", "0"),
                "-p, -n and -r must be at least 1, got -p 128 -n 64 -r 0");
    }

    @Test
    void benchWithAMissingModelSaysWhichFile() {
        Path model = dir.resolve("absent.gguf");
        assertFailure(EdgeLmCommandTest.run("bench", "-m", model.toString()), "no such file: " + model);
    }
}
