package dev.edgelm.testbench.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The peer runner itself: what later conformance tests rely on when llama.cpp's tools misbehave. */
class LlamaCppPeerTest {

    @Test
    void quantsReturnsTheHarnessOutput() {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        byte[] rows = new byte[2 * 32 * 4]; // two rows of 32 zeros
        assertThat(peer.quants(rows, "quantize", "q8_0", "32")).hasSize(2 * 34).containsOnly(0);
        assertThat(new String(peer.quants(new byte[0], "version"))).contains("ggml_commit");
    }

    @Test
    void aFailingToolReportsItsExitStatusAndStandardError() {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        assertThatThrownBy(() -> peer.quants(new byte[4], "quantize", "q9_9", "32"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exit status 2")
                .hasMessageContaining("unknown type 'q9_9'");
    }

    /** Input far larger than a pipe buffer, echoed back: writing and reading must overlap. */
    @Test
    void largeInputAndOutputDoNotDeadlock() {
        byte[] data = new byte[8 << 20];
        new SplittableRandom(1).nextBytes(data);
        LlamaCppPeer.ProcessResult result = LlamaCppPeer.run(List.of("cat"), data, Duration.ofSeconds(30));
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo(data);
    }

    @Test
    void aHungProcessIsKilledAtTheTimeout() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> LlamaCppPeer.run(List.of("sleep", "60"), new byte[0], Duration.ofMillis(300)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("timed out after PT0.3S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    /** Two node processes (about 2.5 s): a batch, and a refused request, which is an answer, not an exception. */
    @Test
    void llamaRunAnswersBatchesAndRefusals() {
        LlamaCppPeer peer = LlamaCppPeer.locate();
        Path vocab = sharedVocab("ggml-vocab-llama-spm.gguf");
        List<JsonNode> results = peer.llamaRunAll(vocab, Map.of("bos", false), List.of(
                Map.of("mode", "tokenize", "text", "Hello world"),
                "{\"mode\": \"tokenize\", \"texts\": [\"Hello\", \"world\"], \"bos\": true}"));
        assertThat(results).hasSize(2);
        assertThat(results.get(0).path("tokens").toString()).isEqualTo("[15043,3186]");
        assertThat(results.get(1).path("tokens_list").toString()).isEqualTo("[[1,15043],[1,3186]]");

        JsonNode refused = peer.llamaRun(vocab, Map.of("mode", "nonsense"));
        assertThat(refused.path("ok").asBoolean(true)).isFalse();
        assertThat(refused.path("error").asText()).contains("unknown mode");
        assertThatThrownBy(() -> peer.llamaRunAll(vocab, Map.of(), List.of(Map.of("mode", "nonsense"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unknown mode");
    }

    private static Path sharedVocab(String name) {
        Path file = Path.of(System.getProperty("edgelm.shared.dir", "../shared"), "vocab", name);
        if (!Files.isRegularFile(file)) {
            Assumptions.abort("shared tokenizer vocabulary " + file + " is missing (system property edgelm.shared.dir)");
        }
        return file;
    }
}
