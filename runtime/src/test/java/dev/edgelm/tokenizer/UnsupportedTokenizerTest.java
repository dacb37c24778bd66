package dev.edgelm.tokenizer;

import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufValue;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unsupported models and pre-tokenizers fail with one line naming the value and what is supported. */
class UnsupportedTokenizerTest {

    @Test
    void unknownModelIsNamed() {
        GgufMetadata md = GgufMetadata.of(Map.of("tokenizer.ggml.model", new GgufValue.Str("bert")));
        assertThatThrownBy(() -> Tokenizers.fromGguf(md))
                .isInstanceOf(UnsupportedTokenizerException.class)
                .hasMessage("unsupported tokenizer tokenizer.ggml.model = 'bert'; supported: llama (SentencePiece"
                        + " BPE), gpt2 (byte-level BPE)");
    }

    @Test
    void unknownPreTokenizerIsNamed() {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("tokenizer.ggml.model", new GgufValue.Str("gpt2"));
        values.put("tokenizer.ggml.pre", new GgufValue.Str("deepseek-coder"));
        values.put("tokenizer.ggml.tokens", GgufStringArray.of("a", "b"));
        assertThatThrownBy(() -> Tokenizers.fromGguf(GgufMetadata.of(values)))
                .isInstanceOf(UnsupportedTokenizerException.class)
                .hasMessageStartingWith("unsupported pre-tokenizer tokenizer.ggml.pre = 'deepseek-coder'; supported: ")
                .hasMessageContaining("llama-bpe")
                .hasMessageContaining("qwen2")
                .hasMessageContaining("smollm")
                .hasMessageNotContaining("\n");
    }
}
