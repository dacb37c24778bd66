package dev.edgelm.tokenizer;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds the {@link Tokenizer} a GGUF file's metadata describes. */
public final class Tokenizers {
    /** Byte-level BPE pre-tokenizers by {@code tokenizer.ggml.pre} value (llama.cpp's names and aliases). */
    private static final Map<String, PreTokenizer> PRE_TOKENIZERS = new LinkedHashMap<>();

    static {
        PRE_TOKENIZERS.put("default", PreTokenizer.DEFAULT);
        PRE_TOKENIZERS.put("gpt-2", PreTokenizer.GPT2);
        PRE_TOKENIZERS.put("phi-2", PreTokenizer.GPT2);
        PRE_TOKENIZERS.put("llama-bpe", PreTokenizer.LLAMA3);
        PRE_TOKENIZERS.put("llama3", PreTokenizer.LLAMA3);
        PRE_TOKENIZERS.put("llama-v3", PreTokenizer.LLAMA3);
        PRE_TOKENIZERS.put("qwen2", PreTokenizer.QWEN2);
        PRE_TOKENIZERS.put("deepseek-r1-qwen", PreTokenizer.QWEN2);
        PRE_TOKENIZERS.put("smollm", PreTokenizer.SMOLLM);
    }

    private Tokenizers() {
    }

    /**
     * The tokenizer of {@code metadata}, by {@code tokenizer.ggml.model} ({@code llama} or {@code gpt2}) and, for
     * {@code gpt2}, {@code tokenizer.ggml.pre} (missing means {@code default}, as in llama.cpp).
     *
     * <p>Everything needed is copied out of the metadata: the tokenizer stays valid after the file is closed.
     * Building one for a 150k-token vocabulary takes a few hundred milliseconds at most.
     *
     * @throws UnsupportedTokenizerException if the model or pre-tokenizer is not one EdgeLM implements
     * @throws dev.edgelm.gguf.GgufFormatException if a tokenizer key is missing or has the wrong type
     */
    public static Tokenizer fromGguf(GgufMetadata metadata) {
        String model = metadata.getString("tokenizer.ggml.model");
        switch (model) {
            case "llama" -> {
                return new SpmTokenizer(new Vocabulary(metadata, true, false));
            }
            case "gpt2" -> {
                String pre = metadata.getOptionalString("tokenizer.ggml.pre").orElse("default");
                PreTokenizer preTokenizer = PRE_TOKENIZERS.get(pre);
                if (preTokenizer == null) {
                    throw new UnsupportedTokenizerException("unsupported pre-tokenizer tokenizer.ggml.pre = '" + pre
                            + "'; supported: " + String.join(", ", PRE_TOKENIZERS.keySet()));
                }
                boolean llama3 = preTokenizer == PreTokenizer.LLAMA3;
                return new BpeTokenizer(new Vocabulary(metadata, false, llama3), metadata, preTokenizer, pre, llama3);
            }
            default -> throw new UnsupportedTokenizerException("unsupported tokenizer tokenizer.ggml.model = '"
                    + model + "'; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)");
        }
    }

    /** Reads the tokenizer of the GGUF file at {@code path} (a vocabulary-only file will do) and closes the file. */
    public static Tokenizer fromGguf(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            return fromGguf(file.metadata());
        }
    }
}
