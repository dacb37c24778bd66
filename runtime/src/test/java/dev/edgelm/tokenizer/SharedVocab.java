package dev.edgelm.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * llama.cpp's tokenizer test data in {@code ../shared/vocab} (the {@code edgelm.shared.dir} system property, which
 * surefire sets): vocabulary-only GGUF files, their input texts and expected ids. Tokenizers are loaded once per JVM.
 */
final class SharedVocab {
    /** The three vocabularies issue 4 requires. */
    static final List<String> FILES = List.of(
            "ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf");

    /** The separator between texts in a {@code .inp} file, exactly as llama.cpp's test writes it. */
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    record Case(int index, String text, int[] expected) {
        /** The text, escaped and shortened, for a test name. */
        String displayName() {
            return "#" + index + " \"" + escape(text, 60) + "\"";
        }
    }

    private SharedVocab() {
    }

    /** The vocabulary folder; skips the calling test, with the reason, when it is absent. */
    static Path dir() {
        String shared = System.getProperty("edgelm.shared.dir");
        Path dir = shared == null ? null : Path.of(shared, "vocab");
        assumeTrue(dir != null && Files.isDirectory(dir),
                "skipped: tokenizer conformance data not found (system property edgelm.shared.dir = " + shared
                        + "; expected ../shared/vocab beside the checkout, as CI has it)");
        return dir;
    }

    static Tokenizer tokenizer(String file) {
        Path path = dir().resolve(file);
        return TOKENIZERS.computeIfAbsent(file, f -> {
            try {
                return Tokenizers.fromGguf(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The cases of {@code file}: texts split on {@link #SEPARATOR}, ids one line per text. */
    static List<Case> cases(String file) {
        Path dir = dir();
        try {
            String input = Files.readString(dir.resolve(file + ".inp"), StandardCharsets.UTF_8);
            List<String> lines = Files.readAllLines(dir.resolve(file + ".out"), StandardCharsets.UTF_8);
            List<String> texts = new ArrayList<>(Arrays.asList(input.split(java.util.regex.Pattern.quote(SEPARATOR),
                    -1)));
            // The file ends with a separator (each text is terminated by one), leaving an empty last piece.
            if (texts.size() == lines.size() + 1 && texts.getLast().isEmpty()) {
                texts.removeLast();
            }
            if (texts.size() != lines.size()) {
                throw new IllegalStateException(file + ": " + texts.size() + " texts but " + lines.size()
                        + " lines of ids");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = lines.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0]
                        : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(i, texts.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code text} with controls, spaces at the ends and non-ASCII escaped, cut to {@code max} characters. */
    static String escape(String text, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
            if (sb.length() >= max) {
                sb.append("...");
                break;
            }
        }
        return sb.toString();
    }
}
