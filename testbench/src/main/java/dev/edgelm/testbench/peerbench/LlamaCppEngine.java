package dev.edgelm.testbench.peerbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp through {@code testbench/peer/llama-run.mjs} (node-llama-cpp's prebuilt CPU build): a {@code bench}
 * request after a short warm-up request in the same process, and a {@code generate} request with
 * {@code n_predict} 1 for the time to first token.
 *
 * @param script {@code llama-run.mjs}
 */
record LlamaCppEngine(Path script) implements Engine {

    /**
     * The warm-up's size. EdgeLM's bench warms up before timing (its JIT needs it); llama.cpp needs no JIT, but its
     * first evaluation also faults the mapped weights in and sizes its buffers, which a short run does as well.
     */
    private static final int WARM_UP_PROMPT = 32;
    private static final int WARM_UP_GENERATED = 4;

    @Override
    public String name() {
        return "llama.cpp";
    }

    @Override
    public Sample measure(Path model, Engine.Settings s) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode batch = request(json, s.threads());
        ArrayNode requests = batch.putArray("requests");
        requests.addObject().put("mode", "bench").put("n_prompt", Math.min(WARM_UP_PROMPT, s.promptTokens()))
                .put("n_gen", Math.min(WARM_UP_GENERATED, s.generatedTokens()));
        requests.addObject().put("mode", "bench").put("n_prompt", s.promptTokens())
                .put("n_gen", s.generatedTokens());
        MeasuredProcess bench = run(model, batch);
        JsonNode results = ok(Engine.parseJson(name(), bench.stdout())).path("results");
        JsonNode speed = ok(results.path(results.size() - 1));

        ObjectNode generate = request(json, s.threads()).put("mode", "generate").put("text", s.ttftPrompt())
                .put("n_predict", 1);
        MeasuredProcess first = run(model, generate);
        JsonNode generated = ok(Engine.parseJson(name(), first.stdout()));
        JsonNode timings = generated.path("timings_ms");
        return new Sample(Engine.number(name(), speed, "prefill_tps"), Engine.number(name(), speed, "decode_tps"),
                Engine.optionalNumber(speed, "decode_cpu_cores"), (long) Engine.number(name(), speed, "max_rss_kb") * 1024, bench.peakRssOutsideModelBytes(),
                first.wallNanos() / 1e6,
                Engine.number(name(), timings, "load") + Engine.number(name(), timings, "prefill"),
                (int) Engine.number(name(), generated, "n_prompt"),
                (int) Engine.number(name(), speed.path("context"), "size"), speed.path("cpu_backend").asText("?"));
    }

    private static ObjectNode request(ObjectMapper json, int threads) {
        // llama-run.mjs's own timeout (120 s by default) would end a slow 2B benchmark early.
        return json.createObjectNode().put("threads", threads).put("timeout_s", Engine.TIMEOUT.toSeconds());
    }

    private MeasuredProcess run(Path model, ObjectNode request) {
        return MeasuredProcess.run(List.of("node", script.toString(), model.toString(), request.toString()),
                Map.of(), model, Engine.TIMEOUT.plusMinutes(1));
    }

    /** The answer itself, or its one-line error as an exception. */
    private JsonNode ok(JsonNode answer) {
        if (!answer.path("ok").asBoolean(false)) {
            throw new EngineException(name() + ": " + answer.path("error").asText(answer.toString()));
        }
        return answer;
    }
}
