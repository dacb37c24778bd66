package dev.edgelm.generate.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The vocabulary-only GGUF files of {@code ../shared/vocab}: which carry a template; prompts tokenized. */
class ChatTemplateVocabTest {

    /** Opens {@code file}, which stays open while {@code test} runs: the metadata reads from the mapped file. */
    private static void withMetadata(String file, MetadataTest test) throws IOException {
        String shared = System.getProperty("edgelm.shared.dir");
        Path path = shared == null ? null : Path.of(shared, "vocab", file);
        assumeTrue(path != null && Files.isRegularFile(path),
                "skipped: " + file + " not found (system property edgelm.shared.dir = " + shared + ")");
        try (GgufFile gguf = GgufFile.open(path)) {
            test.run(gguf.metadata());
        }
    }

    private interface MetadataTest {
        void run(GgufMetadata metadata);
    }

    @Test
    void qwen2VocabularyCarriesAChatmlTemplateWithADefaultSystemMessage() throws IOException {
        withMetadata("ggml-vocab-qwen2.gguf", metadata -> {
            ChatTemplateChoice choice = ChatTemplates.fromGguf(metadata, GoldenData.CLOCK);
            assertThat(choice.warning()).isEmpty();
            ChatTemplate template = choice.template();
            assertThat(template.name()).isEqualTo("chatml");
            assertThat(template.bosText()).isEqualTo("<|endoftext|>");

            String prompt = template.render(List.of(ChatMessage.user("Hello")), true);
            assertThat(prompt).isEqualTo("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
                    + "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");

            // Parsed with special tokens on, each control token is one id, and the stop text is a token too.
            Tokenizer tokenizer = Tokenizers.fromGguf(metadata);
            int[] ids = tokenizer.encode(prompt, template.addBos(prompt, tokenizer.addsBos()), true);
            int imStart = tokenizer.tokenId("<|im_start|>");
            assertThat(ids[0]).isEqualTo(imStart);
            assertThat(Arrays.stream(ids).filter(id -> id == imStart).count()).isEqualTo(3);
            int stop = tokenizer.tokenId(template.stopTexts().getFirst());
            assertThat(stop).isNotEqualTo(Tokenizer.NO_TOKEN);
            assertThat(tokenizer.isEndOfGeneration(stop)).isTrue();
        });
    }

    @Test
    void llamaVocabulariesHaveNoTemplateSoChatmlIsUsedWithAWarning() throws IOException {
        for (String file : List.of("ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf")) {
            withMetadata(file, metadata -> {
                assertThat(metadata.contains(ChatTemplates.TEMPLATE_KEY)).as(file).isFalse();
                ChatTemplateChoice choice = ChatTemplates.fromGguf(metadata);
                assertThat(choice.template().name()).as(file).isEqualTo("chatml");
                assertThat(choice.warning()).as(file).isPresent();
            });
        }
    }

    @Test
    void bosIsNotDoubledWhenTheTemplateWritesIt() throws IOException {
        // The SentencePiece vocabulary adds BOS; a Mistral prompt already starts with its text.
        withMetadata("ggml-vocab-llama-spm.gguf", metadata -> {
            Tokenizer tokenizer = Tokenizers.fromGguf(metadata);
            assertThat(tokenizer.addsBos()).isTrue();
            ChatTemplate mistral = ChatTemplates.fromTemplateText(GoldenData.template("mistral-instruct"),
                    tokenizer.tokenText(tokenizer.bos()), tokenizer.tokenText(tokenizer.eos()), GoldenData.CLOCK)
                    .template();

            String prompt = mistral.render(List.of(ChatMessage.user("Hi")), true);
            int[] ids = tokenizer.encode(prompt, mistral.addBos(prompt, tokenizer.addsBos()), true);
            assertThat(ids[0]).isEqualTo(tokenizer.bos());
            assertThat(ids[1]).isNotEqualTo(tokenizer.bos());
        });
    }
}
