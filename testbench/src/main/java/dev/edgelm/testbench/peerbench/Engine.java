package dev.edgelm.testbench.peerbench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;

/** One of the two engines compared, run as its own process for each measurement. */
sealed interface Engine permits EdgeLmEngine, LlamaCppEngine {

    /** Longer than any fixture here needs at 512 + 128 tokens on 2 slow cores; a hung engine still ends. */
    Duration TIMEOUT = Duration.ofMinutes(30);

    /** What both engines are asked to do, the same for both. */
    record Settings(int promptTokens, int generatedTokens, int threads, String ttftPrompt) {}

    /** The name in the tables ("EdgeLM", "llama.cpp"). */
    String name();

    /** One round: a benchmark process ({@code -p}/{@code -n} tokens), then a time-to-first-token process. */
    Sample measure(Path model, Settings settings);

    /** Parses an engine's one JSON object. */
    static JsonNode parseJson(String engine, String stdout) {
        String json = stdout.strip();
        // The EdgeLM launcher's JVM may print warnings first: the answer is the last line.
        int lastLine = json.lastIndexOf('\n');
        try {
            return new ObjectMapper().readTree(json.substring(lastLine + 1));
        } catch (JsonProcessingException e) {
            throw new EngineException(engine + " printed no JSON answer: " + json.lines().reduce((a, b) -> b)
                    .orElse("(nothing)"));
        }
    }

    /** A field that must be a number in an engine's answer. */
    static double number(String engine, JsonNode answer, String field) {
        JsonNode value = answer.get(field);
        if (value == null || !value.isNumber()) {
            throw new EngineException(engine + "'s answer has no number '" + field + "': " + answer);
        }
        return value.asDouble();
    }

    /** A number an engine's answer may leave out or give as null, NaN then. */
    static double optionalNumber(JsonNode answer, String field) {
        JsonNode value = answer.get(field);
        return value != null && value.isNumber() ? value.asDouble() : Double.NaN;
    }
}
