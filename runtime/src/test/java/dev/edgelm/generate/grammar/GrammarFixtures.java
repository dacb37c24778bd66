package dev.edgelm.generate.grammar;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Grammars and real tokenizers the grammar tests share. */
final class GrammarFixtures {
    /** The JSON grammar of {@code docs/grammars/json.gbnf} (tests run in the module's folder). */
    static final String JSON = read(Path.of("..", "docs", "grammars", "json.gbnf"));

    /** The vocabularies of {@code ../shared/vocab}: SentencePiece with byte fallback, and two byte-level BPEs. */
    static final List<String> VOCABULARIES = List.of(
            "ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf");

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private GrammarFixtures() {
    }

    /** A real tokenizer from {@code ../shared/vocab}, loaded once per JVM; skips the test when the folder is absent. */
    static Tokenizer tokenizer(String file) {
        String shared = System.getProperty("edgelm.shared.dir");
        Path path = shared == null ? null : Path.of(shared, "vocab", file);
        assumeTrue(path != null && Files.isRegularFile(path),
                "skipped: " + file + " not found (system property edgelm.shared.dir = " + shared + ")");
        return TOKENIZERS.computeIfAbsent(file, f -> {
            try {
                return Tokenizers.fromGguf(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
