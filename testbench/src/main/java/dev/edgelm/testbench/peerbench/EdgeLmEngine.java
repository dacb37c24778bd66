package dev.edgelm.testbench.peerbench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelm.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EdgeLM through its launcher: {@code edgelm bench ... -r 1 --json} (one untimed warm-up, then one timed run) and
 * {@code edgelm generate -n 1} for the time to first token.
 *
 * @param launcher   the {@code edgelm} script
 * @param vectorBits the forced Vector API width ({@code -Dedgelm.vector.bits}), or 0 for EdgeLM's preferred one
 */
record EdgeLmEngine(Path launcher, int vectorBits) implements Engine {

    /** The launcher's variable for extra JVM options. */
    private static final String JAVA_OPTS = "EDGELM_JAVA_OPTS";
    /** The same context llama-run.mjs gives a short generate request (at least 256 positions). */
    static final int TTFT_CONTEXT = 256;

    @Override
    public String name() {
        return "EdgeLM";
    }

    @Override
    public Sample measure(Path model, Engine.Settings s) {
        MeasuredProcess bench = MeasuredProcess.run(List.of(launcher.toString(), "bench", "-m", model.toString(),
                "-p", Integer.toString(s.promptTokens()), "-n", Integer.toString(s.generatedTokens()),
                "-t", Integer.toString(s.threads()), "-r", "1", "--json"), environment(), model, TIMEOUT);
        JsonNode speed = Engine.parseJson(name(), bench.stdout());
        MeasuredProcess first = MeasuredProcess.run(List.of(launcher.toString(), "generate", "-m", model.toString(),
                "-p", s.ttftPrompt(), "-n", "1", "-c", Integer.toString(TTFT_CONTEXT),
                "-t", Integer.toString(s.threads()), "--temp", "0", "--json"), environment(), model, TIMEOUT);
        JsonNode generated = Engine.parseJson(name(), first.stdout());
        return new Sample(Engine.number(name(), speed, "prefill_tps"), Engine.number(name(), speed, "decode_tps"),
                Engine.optionalNumber(speed, "decode_cpu_cores"), (long) Engine.number(name(), speed, "peak_rss_bytes"), bench.peakRssOutsideModelBytes(),
                first.wallNanos() / 1e6, Double.NaN, (int) Engine.number(name(), generated, "prompt_tokens"),
                // edgelm bench sizes its context to the prompt plus the generated tokens
                s.promptTokens() + s.generatedTokens(), speed.path("kernels").asText("?"));
    }

    /**
     * {@code model}'s copy with its matrices stored interleaved ({@code edgelm repack}), written beside it, again on
     * every run so that it holds the layouts of the build being measured. With a {@code headType}, an output head
     * stored as F32, F16 or BF16 is requantized to it ({@code --output-type}) and the copy's name says so.
     *
     * @param headType the type to requantize a float head to, or null to keep every head as it is
     * @throws EngineException if the launcher fails
     * @throws IOException if the model cannot be read
     */
    Path repacked(Path model, String headType) throws IOException {
        String name = model.getFileName().toString();
        String stem = name.substring(0, name.length() - ".gguf".length());
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "repack", "-m", model.toString()));
        String suffix = ".repacked.gguf";
        if (headType != null && hasFloatHead(model)) {
            command.addAll(List.of("--output-type", headType));
            suffix = ".repacked." + headType + "-head.gguf";
        }
        Path copy = model.resolveSibling(stem + suffix);
        command.addAll(List.of("-o", copy.toString()));
        MeasuredProcess.run(command, environment(), model, TIMEOUT);
        return copy;
    }

    /** Whether the model's output head (or the token embedding it is tied to) is stored as F32, F16 or BF16. */
    private static boolean hasFloatHead(Path model) throws IOException {
        try (GgufFile file = GgufFile.open(model)) {
            return file.findTensor("output.weight").or(() -> file.findTensor("token_embd.weight"))
                    .map(t -> t.type().isFloat()).orElse(false);
        }
    }

    /**
     * The launcher's environment: without {@code EDGELM_JAR}, which {@code testbench/peer-bench} sets to run this
     * harness and would otherwise make the child run the testbench instead of EdgeLM, and with the forced width.
     */
    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("EDGELM_JAR", null);
        if (vectorBits > 0) {
            String inherited = System.getenv().getOrDefault(JAVA_OPTS, "");
            env.put(JAVA_OPTS, (inherited + " -Dedgelm.vector.bits=" + vectorBits).strip());
        }
        return env;
    }
}
