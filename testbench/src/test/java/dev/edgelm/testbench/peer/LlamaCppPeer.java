package dev.edgelm.testbench.peer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The llama.cpp peer that {@code testbench/peer/setup.sh} installs, as tests use it: its two tools run as child
 * processes with bytes or JSON in and out, a timeout, and standard error in every failure message.
 *
 * <ul>
 *   <li>{@link #quants}: {@code build/quants/ggml_quants_ref}, llama.cpp's own quantizers (see
 *       {@code testbench/peer/README.md} for its commands).
 *   <li>{@link #llamaRun} and {@link #llamaRunAll}: {@code node llama-run.mjs MODEL REQUEST}, llama.cpp loading a
 *       GGUF file. Every node process pays about 2 s before the model loads, so send several requests through
 *       {@link #llamaRunAll}, which is one process.
 * </ul>
 *
 * <p>A peer that is not installed aborts the calling test (JUnit assumption) with a message that says to run
 * {@code testbench/peer/setup.sh}: the comparison is then skipped, not failed. Anything else going wrong (a
 * non-zero exit, a timeout, output that is not JSON) is an {@link IllegalStateException}: a red test.
 */
public final class LlamaCppPeer {

    /** Generous for the C harness, which handles megabytes in milliseconds. */
    public static final Duration QUANTS_TIMEOUT = Duration.ofSeconds(60);

    /** Above llama-run.mjs's own default {@code timeout_s} (120 s), so its own timeout report wins. */
    public static final Duration LLAMA_RUN_TIMEOUT = Duration.ofSeconds(180);

    /** The system property surefire sets to {@code testbench/peer} (testbench/pom.xml). */
    public static final String DIR_PROPERTY = "edgelm.peer.dir";

    private static final String SETUP_HINT = "run testbench/peer/setup.sh to install llama.cpp's peer tools";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private LlamaCppPeer(Path dir) {
        this.dir = dir;
    }

    /**
     * The peer directory named by {@value #DIR_PROPERTY} (or, outside Maven, {@code testbench/peer} or
     * {@code peer} below the working directory); aborts the test if there is none.
     */
    public static LlamaCppPeer locate() {
        String property = System.getProperty(DIR_PROPERTY);
        List<Path> candidates = property != null
                ? List.of(Path.of(property))
                : List.of(Path.of("testbench", "peer"), Path.of("peer"));
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate.resolve("setup.sh"))) {
                return new LlamaCppPeer(candidate.toAbsolutePath().normalize());
            }
        }
        return Assumptions.abort("llama.cpp peer directory not found (system property " + DIR_PROPERTY + " = "
                + property + ", looked in " + candidates + "); " + SETUP_HINT);
    }

    /** The peer directory ({@code testbench/peer}). */
    public Path dir() {
        return dir;
    }

    /** {@code build/quants/ggml_quants_ref}; aborts the test if it has not been built. */
    public Path quantsTool() {
        Path tool = dir.resolve("build/quants/ggml_quants_ref");
        if (!Files.isExecutable(tool)) {
            Assumptions.abort("llama.cpp quantizer harness " + tool + " is missing; " + SETUP_HINT);
        }
        return tool;
    }

    /**
     * Runs {@code ggml_quants_ref ARGS...} with {@code stdin} as its input and returns its output, for example
     * {@code quants(rows, "quantize", "q4_K", "4096")}.
     *
     * @throws IllegalStateException if it exits non-zero (its one-line error is in the message) or times out
     */
    public byte[] quants(byte[] stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(quantsTool().toString());
        command.addAll(List.of(args));
        return run(command, stdin, QUANTS_TIMEOUT).requireSuccess().stdout();
    }

    /**
     * Runs one llama-run.mjs request against {@code model} and returns its JSON answer, {@code "ok": false}
     * answers (llama.cpp refusing the file, a bad request) included, so that tests can check refusals.
     *
     * @param request a Jackson node, a {@link Map}/record/list Jackson can serialize, or a JSON string
     * @throws IllegalStateException on a timeout, or an exit status other than 0 and 1, or output that is not
     *     one JSON object
     */
    public JsonNode llamaRun(Path model, Object request) {
        byte[] body = request instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : toJsonBytes(request);
        List<String> command = List.of(nodeBinary(), llamaRunScript().toString(),
                model.toAbsolutePath().toString(), "-");
        ProcessResult result = run(command, body, LLAMA_RUN_TIMEOUT);
        if (result.exitCode() != 0 && result.exitCode() != 1) {
            throw result.failure("exit status " + result.exitCode());
        }
        try {
            JsonNode answer = JSON.readTree(result.stdout());
            if (answer == null || !answer.isObject()) {
                throw result.failure("no JSON object on standard output");
            }
            return answer;
        } catch (IOException e) {
            throw result.failure("standard output is not JSON (" + e.getMessage() + ")");
        }
    }

    /**
     * Runs several requests in one node process ({@code {"requests": [...]}} with {@code common} options that
     * each request inherits) and returns one answer per request, in order; a failing request answers
     * {@code {"ok": false, "error": ...}} in its place.
     *
     * @throws IllegalStateException if the batch as a whole fails (for example, llama.cpp cannot load the model)
     */
    public List<JsonNode> llamaRunAll(Path model, Map<String, ?> common, List<?> requests) {
        ObjectNode batch = JSON.valueToTree(common);
        ArrayNode list = batch.putArray("requests");
        requests.forEach(r -> list.add(r instanceof String s ? parse(s) : JSON.valueToTree(r)));
        JsonNode answer = llamaRun(model, batch);
        if (!answer.path("ok").asBoolean(false) || !answer.path("results").isArray()
                || answer.path("results").size() != requests.size()) {
            throw new IllegalStateException("llama-run.mjs batch on " + model + " failed: " + answer);
        }
        List<JsonNode> results = new ArrayList<>();
        answer.path("results").forEach(results::add);
        return results;
    }

    /**
     * Runs one request per model in one node process ({@code llama-run.mjs --models}); each request inherits
     * {@code common} and names its file under {@code "model"}. Returns one answer per model, in order; a model that
     * fails answers {@code {"ok": false, "error": ...}} in its place.
     *
     * @throws IllegalStateException if the run as a whole fails
     */
    public List<JsonNode> llamaRunModels(Map<String, ?> common, List<? extends Map<String, ?>> requests) {
        ObjectNode body = JSON.valueToTree(common);
        ArrayNode list = body.putArray("models");
        requests.forEach(r -> list.add(JSON.valueToTree(r)));
        List<String> command = List.of(nodeBinary(), llamaRunScript().toString(), "--models", "-");
        ProcessResult result = run(command, toJsonBytes(body), LLAMA_RUN_TIMEOUT.multipliedBy(requests.size()));
        try {
            JsonNode answer = JSON.readTree(result.stdout());
            if (result.exitCode() != 0 || answer == null || !answer.path("models").isArray()
                    || answer.path("models").size() != requests.size()) {
                throw result.failure("llama-run.mjs --models failed: " + answer);
            }
            List<JsonNode> answers = new ArrayList<>();
            answer.path("models").forEach(answers::add);
            return answers;
        } catch (IOException e) {
            throw result.failure("standard output is not JSON (" + e.getMessage() + ")");
        }
    }

    private Path llamaRunScript() {
        Path script = dir.resolve("llama-run.mjs");
        if (!Files.isRegularFile(script) || !Files.isDirectory(dir.resolve("node_modules/node-llama-cpp"))) {
            Assumptions.abort("llama.cpp runner (" + script + " with node_modules/node-llama-cpp) is not installed; "
                    + SETUP_HINT);
        }
        return script;
    }

    private static String nodeBinary() {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path node = Path.of(entry.isEmpty() ? "." : entry, "node");
            if (Files.isExecutable(node)) {
                return node.toString();
            }
        }
        return Assumptions.abort("node (Node.js >= 20) is not on the PATH; it runs llama-run.mjs; " + SETUP_HINT);
    }

    private static byte[] toJsonBytes(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request cannot be written as JSON: " + value, e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request is not JSON: " + json, e);
        }
    }

    /** What a child process left behind. */
    public record ProcessResult(List<String> command, int exitCode, byte[] stdout, String stderr) {

        /** This result if the process exited with 0; otherwise the failure. */
        public ProcessResult requireSuccess() {
            if (exitCode != 0) {
                throw failure("exit status " + exitCode);
            }
            return this;
        }

        IllegalStateException failure(String what) {
            return new IllegalStateException(String.join(" ", command) + ": " + what + "; stderr:\n" + stderr.strip());
        }
    }

    /**
     * Runs {@code command} with {@code stdin} as its whole input, collecting standard output and error in full.
     * The input is written, and both outputs are read, on their own threads, so a tool that writes before it
     * has read everything cannot deadlock against us.
     *
     * @throws IllegalStateException if the process does not finish within {@code timeout} (it and its children
     *     are killed; what it had written to standard error is in the message) or cannot start
     */
    public static ProcessResult run(List<String> command, byte[] stdin, Duration timeout) {
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        try (ExecutorService io = Executors.newVirtualThreadPerTaskExecutor()) {
            io.submit(() -> {
                try (OutputStream in = process.getOutputStream()) {
                    in.write(stdin);
                } catch (IOException e) {
                    // The process closed its input early (it failed, or needs no input): its exit status tells.
                }
                return null;
            });
            Future<byte[]> out = io.submit(() -> readAll(process.getInputStream()));
            Future<byte[]> err = io.submit(() -> readAll(process.getErrorStream()));
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor();
            }
            String stderr = new String(err.get(), StandardCharsets.UTF_8);
            if (!finished) {
                throw new IllegalStateException(String.join(" ", command) + ": timed out after " + timeout
                        + " and was killed; stderr:\n" + stderr.strip());
            }
            return new ProcessResult(List.copyOf(command), process.exitValue(), out.get(), stderr);
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException e) {
            throw new UncheckedIOException("reading the output of " + String.join(" ", command),
                    e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        }
    }

    private static byte[] readAll(InputStream stream) throws IOException {
        try (stream) {
            return stream.readAllBytes();
        }
    }
}
