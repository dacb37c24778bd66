package dev.edgelm.testbench.launcher;

import static dev.edgelm.testbench.launcher.InProcessEdgeLm.edgelm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import dev.edgelm.testbench.launcher.InProcessEdgeLm.Run;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgelm generate --grammar}: constrained output, the incomplete-output error, and errors before generating. */
class GenerateWithGrammarCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JSON_GRAMMAR = Path.of("..", "docs", "grammars", "json.gbnf");

    @TempDir
    static Path dir;

    private static Path model;

    @BeforeAll
    static void writeFixture() {
        model = TinyFixtures.tiny(dir, "llama", "Q8_0", ShapePreset.TINY.shape(), TinyFixtures.builtinVocabulary(), 3);
    }

    private static Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void theOutputFollowsTheGrammarAndStopsWhenItIsComplete() throws IOException {
        Path grammar = file("answer.gbnf",
                "root ::= \"{\\\"answer\\\": \" (\"true\" | \"false\" | [0-9]{1,4}) \"}\"\n");
        for (String temperature : new String[] {"0", "1.5"}) {
            Run run = edgelm("generate", "-m", model.toString(), "-p", "Hello", "-n", "64", "--temp", temperature,
                    "--seed", "7", "--grammar", grammar.toString(), "--json", "-t", "1");
            assertThat(run.status()).as(run.err()).isZero();
            JsonNode result = JSON.readTree(run.out());
            assertThat(result.path("stop_reason").asText()).isEqualTo("grammar_complete");
            String text = result.path("text").asText();
            assertThat(Grammar.parse(Files.readString(grammar)).accepts(text)).as(text).isTrue();
            assertThat(JSON.readTree(text).has("answer")).as(text).isTrue();
        }
    }

    @Test
    void aJsonGrammarGivesJsonThatParses() throws IOException {
        Run run = edgelm("generate", "-m", model.toString(), "-p", "Hello", "-n", "200", "--temp", "0",
                "--grammar", JSON_GRAMMAR.toString(), "-t", "1");
        assertThat(run.err()).contains("stopped: grammar_complete");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(JSON.readTree(run.out().strip()).isObject()).as(run.out()).isTrue();
    }

    /** Sampled hot and greedy on random weights (adversarial enough): every output validates, by networknt's judge. */
    @Test
    void aJsonSchemaGivesJsonThatValidates() throws IOException {
        String schemaText = """
                {"type": "object",
                 "properties": {
                   "sensor": {"enum": ["temperature", "humidity"]},
                   "value": {"type": "number", "minimum": -40, "maximum": 85},
                   "ok": {"type": "boolean"},
                   "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3}},
                 "required": ["sensor", "value", "ok"],
                 "additionalProperties": false}
                """;
        Path schema = file("reading.schema.json", schemaText);
        com.networknt.schema.Schema validator = com.networknt.schema.SchemaRegistry
                .withDefaultDialect(com.networknt.schema.SpecificationVersion.DRAFT_2020_12)
                .getSchema(schemaText, com.networknt.schema.InputFormat.JSON);
        for (String[] sampling : new String[][] {{"0", "1"}, {"1.5", "2"}, {"1.5", "3"}}) {
            Run run = edgelm("generate", "-m", model.toString(), "-p", "Reading:", "-n", "256", "--temp", sampling[0],
                    "--seed", sampling[1], "--json-schema", schema.toString(), "--json", "-t", "1");
            assertThat(run.status()).as(run.err()).isZero();
            JsonNode result = JSON.readTree(run.out());
            assertThat(result.path("stop_reason").asText()).isEqualTo("grammar_complete");
            String text = result.path("text").asText();
            assertThat(validator.validate(text, com.networknt.schema.InputFormat.JSON)).as(text).isEmpty();
        }
    }

    @Test
    void anOutputCutShortByTheLimitIsPrintedAndReportedAsAnError() throws IOException {
        Path grammar = file("long.gbnf", "root ::= \"[\" [a-z]{40} \"]\"\n");
        Run run = edgelm("generate", "-m", model.toString(), "-p", "Hi", "-n", "3", "--temp", "0",
                "--grammar", grammar.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.out().strip()).startsWith("[");
        assertThat(run.err().strip().lines().toList().getLast()).isEqualTo("edgelm: the output is incomplete: the -n"
                + " limit of 3 tokens was reached before the grammar was complete");

        Run json = edgelm("generate", "-m", model.toString(), "-p", "Hi", "-n", "3", "--temp", "0",
                "--grammar", grammar.toString(), "--json");
        assertThat(json.status()).isEqualTo(1);
        assertThat(JSON.readTree(json.out()).path("stop_reason").asText()).isEqualTo("length");
    }

    @Test
    void chatRepliesFollowTheGrammarToo() throws IOException {
        Path grammar = file("yes-no.gbnf", "root ::= (\"yes\" | \"no\") \".\"\n");
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Is it?\nReally?\n".getBytes(StandardCharsets.UTF_8)));
            Run run = edgelm("chat", "-m", model.toString(), "-n", "16", "--temp", "1", "--seed", "3", "--grammar",
                    grammar.toString());
            assertThat(run.status()).as(run.err()).isZero();
            assertThat(run.out().lines().toList()).hasSize(2).allMatch(l -> l.equals("yes.") || l.equals("no."));
            assertThat(run.err()).contains("grammar_complete");
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void benchComparesConstrainedAndFreeDecoding() throws IOException {
        Path jsonLines = Path.of("..", "docs", "grammars", "json-lines.gbnf");
        Run run = edgelm("bench", "-m", model.toString(), "-p", "8", "-n", "8", "-r", "2", "-t", "1", "--grammar",
                jsonLines.toString(), "--json");
        assertThat(run.status()).as(run.err()).isZero();
        JsonNode report = JSON.readTree(run.out());
        assertThat(report.path("decode_tps").asDouble()).isPositive();
        assertThat(report.path("constrained_decode_tps").asDouble()).isPositive();
        // JSON Lines never completes, and end tokens are not sampled: every constrained run goes to -n.
        assertThat(report.path("constrained_tokens_mean").asDouble()).isEqualTo(8.0);
        assertThat(report.path("constrained_stop_reasons").path("length").asInt()).isEqualTo(2);
        assertThat(report.path("grammar_share").asDouble()).isPositive().isLessThan(1.0);
        assertThat(report.path("time_ratios").size()).isEqualTo(2);
        assertThat(report.path("time_ratio_median").asDouble()).isPositive();

        Run text = edgelm("bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--grammar",
                jsonLines.toString());
        assertThat(text.status()).as(text.err()).isZero();
        assertThat(text.out()).contains("decode, free:").contains("decode, constrained:")
                .contains("grammar's share of the constrained decode time")
                .contains("time per token, constrained / free");
    }

    @Test
    void aBadGrammarFileFailsBeforeAnythingIsGenerated() throws IOException {
        Path malformed = file("bad.gbnf", "root ::= value\nvalue ::= \"a\" | undefined-rule\n");
        Run bad = edgelm("generate", "-m", model.toString(), "-p", "Hi", "--grammar", malformed.toString());
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.out()).isEmpty();
        assertThat(bad.err().strip()).isEqualTo("edgelm: " + malformed + ": grammar error at 2:17: undefined rule"
                + " 'undefined-rule' (no 'undefined-rule ::= ...' in the grammar)");

        Run missing = edgelm("generate", "-m", model.toString(), "--grammar", dir.resolve("absent.gbnf").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err().strip()).isEqualTo("edgelm: no such file: " + dir.resolve("absent.gbnf"));

        Path binary = dir.resolve("binary.gbnf");
        Files.write(binary, new byte[] {'r', 'o', 'o', 't', (byte) 0xFF});
        Run notText = edgelm("generate", "-m", model.toString(), "--grammar", binary.toString());
        assertThat(notText.status()).isEqualTo(1);
        assertThat(notText.err().strip()).isEqualTo("edgelm: " + binary + " is not UTF-8 text");
    }
}
