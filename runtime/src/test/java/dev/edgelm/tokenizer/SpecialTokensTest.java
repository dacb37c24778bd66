package dev.edgelm.tokenizer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Special tokens: parsed in text only when asked (chat templates), BOS/EOS as the metadata says, end of generation. */
class SpecialTokensTest {

    @Test
    void controlTokensAreParsedOnlyWhenAsked() {
        Tokenizer qwen = SharedVocab.tokenizer("ggml-vocab-qwen2.gguf");
        int imStart = qwen.tokenId("<|im_start|>");
        int imEnd = qwen.tokenId("<|im_end|>");
        assertThat(qwen.tokenType(imStart)).isEqualTo(TokenType.CONTROL);
        String turn = "<|im_start|>user\nHello<|im_end|>\n";

        int[] parsed = qwen.encode(turn, false, true);
        assertThat(parsed[0]).isEqualTo(imStart);
        assertThat(parsed).contains(imEnd);
        assertThat(qwen.decode(parsed, true)).isEqualTo(turn);
        assertThat(qwen.decode(parsed)).isEqualTo("user\nHello\n");

        int[] literal = qwen.encode(turn, false, false);
        assertThat(literal).doesNotContain(imStart, imEnd);
        assertThat(qwen.decode(literal)).isEqualTo(turn);
    }

    @Test
    void userDefinedTokensAreMatchedEvenInPlainText() {
        // As llama.cpp and Hugging Face do: added (user-defined) tokens are not "special" in the forging sense.
        Tokenizer qwen = SharedVocab.tokenizer("ggml-vocab-qwen2.gguf");
        int pad = qwen.tokenId("[PAD151646]");
        assertThat(qwen.tokenType(pad)).isEqualTo(TokenType.USER_DEFINED);
        assertThat(qwen.encode("a[PAD151646]b", false, false)).contains(pad);
        assertThat(qwen.decode(qwen.encode("a[PAD151646]b"))).isEqualTo("a[PAD151646]b");
    }

    @Test
    void spmSpecialTokensAndSpacePrefix() {
        Tokenizer spm = SharedVocab.tokenizer("ggml-vocab-llama-spm.gguf");
        assertThat(spm.bos()).isEqualTo(1);
        assertThat(spm.eos()).isEqualTo(2);
        assertThat(spm.addsBos()).isTrue();
        assertThat(spm.addsEos()).isFalse();
        assertThat(spm.encode("<s>", false, true)).containsExactly(1);
        assertThat(spm.encode("<s>", false, false)).doesNotContain(1);
        // After a special token the text gets the space prefix again, as in llama.cpp.
        int[] ids = spm.encode("Hello", true, false);
        assertThat(ids[0]).isEqualTo(1);
        assertThat(spm.tokenText(ids[1])).isEqualTo("▁Hello");
        assertThat(spm.encode("<s>Hello", false, true)).containsExactly(ids);
        assertThat(spm.decode(ids)).isEqualTo("Hello");
        assertThat(spm.decode(ids, true)).isEqualTo("<s> Hello");
    }

    @Test
    void bosAndEosFollowTheMetadata() {
        Tokenizer llama3 = SharedVocab.tokenizer("ggml-vocab-llama-bpe.gguf");
        assertThat(llama3.addsBos()).isTrue(); // llama-bpe adds BOS by default, as in llama.cpp
        assertThat(llama3.encode("Hi", true, false)[0]).isEqualTo(128000);
        assertThat(llama3.encode("<|begin_of_text|>Hi", false, true)).containsExactly(llama3.encode("Hi", true,
                false));
        assertThat(llama3.encode("", true, false)).containsExactly(128000);
        assertThat(llama3.encode("", false, false)).isEmpty();

        Tokenizer qwen = SharedVocab.tokenizer("ggml-vocab-qwen2.gguf");
        assertThat(qwen.addsBos()).isFalse(); // no add_bos_token in the file, and qwen2 does not add one
        assertThat(qwen.encode("Hi", true, false)).containsExactly(qwen.encode("Hi"));
    }

    @Test
    void endOfGenerationTokens() {
        Tokenizer llama3 = SharedVocab.tokenizer("ggml-vocab-llama-bpe.gguf");
        assertThat(llama3.isEndOfGeneration(llama3.eos())).isTrue();
        assertThat(llama3.isEndOfGeneration(llama3.tokenId("<|eot_id|>"))).isTrue();
        assertThat(llama3.isEndOfGeneration(llama3.tokenId("<|start_header_id|>"))).isFalse();
        assertThat(llama3.isEndOfGeneration(llama3.encode("Hello")[0])).isFalse();
        assertThat(llama3.isEndOfGeneration(-1)).isFalse();

        Tokenizer qwen = SharedVocab.tokenizer("ggml-vocab-qwen2.gguf");
        assertThat(qwen.isEndOfGeneration(qwen.tokenId("<|im_end|>"))).isTrue();
        assertThat(qwen.isEndOfGeneration(qwen.tokenId("<|endoftext|>"))).isTrue();
        assertThat(qwen.isEndOfGeneration(qwen.tokenId("<|im_start|>"))).isFalse();
    }
}
