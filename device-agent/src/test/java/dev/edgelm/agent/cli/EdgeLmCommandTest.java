package dev.edgelm.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeLmCommandTest {

    @TempDir
    Path dir;

    /** The outcome of one in-process run of the command. */
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = EdgeLmCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(status, out.toString(), err.toString());
    }

    /** A small but real model file: two tensors, one of a type the kernels cannot run, and a long array. */
    private Path writeModel() throws IOException {
        Path file = dir.resolve("small.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "small test model")
                .putUInt32("llama.block_count", 1)
                .put("tokenizer.ggml.tokens",
                        GgufStringArray.of(IntStream.range(0, 40).mapToObj(i -> "tok" + i).toList()))
                .put("tokenizer.ggml.scores", GgufNumericArray.ofFloats(0.5f, -1.25f))
                .addTensor("token_embd.weight", GgmlType.Q4_0, new long[] {64, 40}, new byte[40 * 2 * 18])
                .addTensor("blk.0.attn_q.weight", GgmlType.IQ2_XXS, new long[] {256, 4}, new byte[4 * 66])
                .write(file);
        return file;
    }

    @Test
    void versionNamesTheProductAndTheJvm() {
        Run run = run("--version");
        assertThat(run.status()).isZero();
        assertThat(run.out()).startsWith("edgelm ").contains("JVM " + Runtime.version().feature());
    }

    @Test
    void helpListsTheSubcommands() {
        Run run = run("--help");
        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("Usage: edgelm").contains("info");
    }

    @Test
    void unknownOptionIsAUsageErrorOnOneLinePlusAHint() {
        Run run = run("info", "--no-such-option", "-m", "x.gguf");
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_USAGE);
        assertThat(run.err().lines().toList())
                .hasSize(2)
                .first().asString().startsWith("edgelm: ").contains("--no-such-option");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void missingFileFailsWithOneLineAndNoStackTrace() {
        Run run = run("info", "-m", dir.resolve("absent.gguf").toString());
        assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(run.err().lines().toList()).hasSize(1).first().asString()
                .isEqualTo("edgelm: no such file: " + dir.resolve("absent.gguf"));
    }

    @Test
    void debugAddsTheStackTrace() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.gguf"), "not a gguf file at all".getBytes());
        Run plain = run("info", "-m", garbage.toString());
        Run debug = run("--debug", "info", "-m", garbage.toString());
        assertThat(plain.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(plain.err().lines().toList()).hasSize(1).first().asString().contains("magic");
        assertThat(debug.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
        assertThat(debug.err()).contains("GgufFormatException").contains("\tat ");
    }

    @Test
    void textReportNamesArchitectureTypesAndUnsupportedTensors() throws IOException {
        Run run = run("info", "-m", writeModel().toString());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("architecture:  llama")
                .contains("name:          small test model")
                .contains("tensor types:  q4_0 x1, iq2_xxs x1")
                .contains("unsupported:   iq2_xxs in 1 tensor (first: blk.0.attn_q.weight)")
                .contains("tokenizer.ggml.tokens = [str x 40: \"tok0\", \"tok1\"")
                .contains("blk.0.attn_q.weight");
    }

    @Test
    void jsonReportIsOneObjectWithShapesAndSummarisedArrays() throws IOException {
        Run run = run("info", "-m", writeModel().toString(), "--json");
        assertThat(run.status()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("architecture").asText()).isEqualTo("llama");
        assertThat(json.get("gguf_version").asInt()).isEqualTo(3);
        assertThat(json.get("parameters").asLong()).isEqualTo(64 * 40 + 256 * 4);
        assertThat(json.at("/tensor_types/q4_0").asInt()).isEqualTo(1);
        assertThat(json.at("/unsupported_types/0/type").asText()).isEqualTo("iq2_xxs");
        assertThat(json.at("/tensors/0/shape/1").asLong()).isEqualTo(40);
        assertThat(json.at("/metadata/llama.block_count").asInt()).isEqualTo(1);
        assertThat(json.at("/metadata/tokenizer.ggml.tokens/length").asInt()).isEqualTo(40);
        assertThat(json.at("/metadata/tokenizer.ggml.tokens/first")).hasSize(ModelSummary.ARRAY_PREVIEW);
        assertThat(json.at("/metadata/tokenizer.ggml.scores/1").asDouble()).isEqualTo(-1.25);
    }

    @Test
    void vocabOnlyFilesAreDescribed() {
        Path vocab = Path.of(System.getProperty("edgelm.shared.dir", "../../shared"), "vocab",
                "ggml-vocab-llama-spm.gguf");
        assumeTrue(Files.isRegularFile(vocab), "../shared/vocab is absent: skipping the vocab-only file check");
        Run run = run("info", "-m", vocab.toString(), "--json");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("\"tensor_count\" : 0").contains("tokenizer.ggml.model");
    }
}
