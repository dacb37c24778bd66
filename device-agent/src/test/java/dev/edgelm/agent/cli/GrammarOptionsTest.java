package dev.edgelm.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.agent.cli.EdgeLmCommandTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --grammar} on the commands that generate: the file is read and checked before the model is even opened, so
 * a bad grammar is reported (one line, status 1) even where the model does not exist. Runs on real models are in
 * the testbench ({@code GenerateWithGrammarCommandTest}).
 */
class GrammarOptionsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "bench"})
    void aMalformedGrammarIsReportedBeforeTheModelIsOpened(String command) throws IOException {
        Path grammar = Files.writeString(dir.resolve("g.gbnf"), "root ::= [a-z\n");
        Run run = EdgeLmCommandTest.run(command, "-m", dir.resolve("absent.gguf").toString(), "--grammar",
                grammar.toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines().toList()).containsExactly("edgelm: " + grammar + ": grammar error at 1:10:"
                + " unterminated character class: expected ']' before the end of the line (write a line break as \\n)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "bench"})
    void aMissingGrammarFileIsOneLine(String command) {
        Path grammar = dir.resolve("absent.gbnf");
        Run run = EdgeLmCommandTest.run(command, "-m", dir.resolve("absent.gguf").toString(), "--grammar",
                grammar.toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.err().lines().toList()).containsExactly("edgelm: no such file: " + grammar);
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "bench"})
    void anUnsatisfiableSchemaIsReportedBeforeTheModelIsOpened(String command) throws IOException {
        Path schema = Files.writeString(dir.resolve("s.json"),
                "{\"type\": \"array\", \"minItems\": 3, \"maxItems\": 1}");
        Run run = EdgeLmCommandTest.run(command, "-m", dir.resolve("absent.gguf").toString(), "--json-schema",
                schema.toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines().toList()).singleElement().asString()
                .startsWith("edgelm: " + schema + ": at #: ").contains("minItems");
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "bench"})
    void aGrammarAndASchemaTogetherAreAUsageError(String command) throws IOException {
        Path grammar = Files.writeString(dir.resolve("g.gbnf"), "root ::= \"a\"\n");
        Path schema = Files.writeString(dir.resolve("s.json"), "{\"type\": \"boolean\"}");
        Run run = EdgeLmCommandTest.run(command, "-m", dir.resolve("absent.gguf").toString(), "--grammar",
                grammar.toString(), "--json-schema", schema.toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_USAGE);
        assertThat(run.err()).contains("mutually exclusive");
    }

    @Test
    void helpDescribesTheOptions() {
        for (String command : new String[] {"generate", "chat", "bench"}) {
            assertThat(EdgeLmCommandTest.run(command, "--help").out()).contains("--grammar=FILE", "--json-schema=FILE");
        }
    }
}
