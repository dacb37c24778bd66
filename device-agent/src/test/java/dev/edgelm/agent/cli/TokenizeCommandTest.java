package dev.edgelm.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenizeCommandTest {

    static Path vocab(String name) {
        Path file = Path.of(System.getProperty("edgelm.shared.dir", "../../shared"), "vocab", name);
        assumeTrue(Files.isRegularFile(file), "../shared/vocab is absent: skipping the tokenize checks");
        return file;
    }

    static EdgeLmCommandTest.Run runWithInput(String stdin, String... args) {
        InputStream original = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return EdgeLmCommandTest.run(args);
        } finally {
            System.setIn(original);
        }
    }

    @Test
    void jsonIdsWithAndWithoutBos() {
        String spm = vocab("ggml-vocab-llama-spm.gguf").toString();
        EdgeLmCommandTest.Run withBos = EdgeLmCommandTest.run("tokenize", "-m", spm, "--json", "Hello world");
        EdgeLmCommandTest.Run noBos = EdgeLmCommandTest.run("tokenize", "-m", spm, "--json", "--no-bos",
                "Hello world");
        assertThat(withBos.status()).as(withBos.err()).isZero();
        assertThat(withBos.out().strip()).isEqualTo("[1,15043,3186]");
        assertThat(noBos.out().strip()).isEqualTo("[15043,3186]");
    }

    @Test
    void standardInputPassesTabsNewlinesAndUtf8Exactly() {
        String bpe = vocab("ggml-vocab-llama-bpe.gguf").toString();
        String text = "\tline one\n  line two \u00e9\u4e2d\uD83D\uDE00\n";
        EdgeLmCommandTest.Run fromStdin = runWithInput(text, "tokenize", "-m", bpe, "--json", "--no-bos");
        EdgeLmCommandTest.Run fromArgument = EdgeLmCommandTest.run("tokenize", "-m", bpe, "--json", "--no-bos",
                text);
        assertThat(fromStdin.status()).as(fromStdin.err()).isZero();
        assertThat(fromStdin.out()).isEqualTo(fromArgument.out()).startsWith("[");
    }

    @Test
    void specialTokensAreParsedUnlessAskedNotTo() {
        String qwen = vocab("ggml-vocab-qwen2.gguf").toString();
        EdgeLmCommandTest.Run parsed = EdgeLmCommandTest.run("tokenize", "-m", qwen, "--json", "<|im_start|>");
        EdgeLmCommandTest.Run plain = EdgeLmCommandTest.run("tokenize", "-m", qwen, "--json",
                "--no-parse-special", "<|im_start|>");
        assertThat(parsed.out().strip()).isEqualTo("[151644]");
        assertThat(plain.out().strip()).startsWith("[").isNotEqualTo("[151644]");
    }

    @Test
    void textOutputShowsEachIdWithItsPiece() {
        String spm = vocab("ggml-vocab-llama-spm.gguf").toString();
        EdgeLmCommandTest.Run run = EdgeLmCommandTest.run("tokenize", "-m", spm, "--no-bos", "Hello world");
        assertThat(run.out().lines().toList()).containsExactly("15043\t\" Hello\"", "3186\t\" world\"");
    }

    @Test
    void aFileWithoutATokenizerIsOneClearLine() throws Exception {
        Path file = Files.createTempFile("no-tokenizer", ".gguf");
        try {
            new dev.edgelm.gguf.GgufWriter().putString("general.architecture", "llama").write(file);
            EdgeLmCommandTest.Run run = EdgeLmCommandTest.run("tokenize", "-m", file.toString(), "hi");
            assertThat(run.status()).isEqualTo(CommandRunner.EXIT_FAILURE);
            assertThat(run.err().lines().toList()).hasSize(1).first().asString().startsWith("edgelm: ");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
