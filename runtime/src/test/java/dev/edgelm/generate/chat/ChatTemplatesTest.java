package dev.edgelm.generate.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.gguf.GgufFormatException;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufValue;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Choosing a template from GGUF metadata, the ChatML fallback, BOS handling, stop texts, and refused input. */
class ChatTemplatesTest {
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.user("Hello"));

    /** A SentencePiece-like vocabulary: {@code <s>} is BOS (1), {@code </s>} EOS (2). */
    private static GgufMetadata metadata(String template) {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("tokenizer.ggml.tokens", GgufStringArray.of("<unk>", "<s>", "</s>", "a"));
        values.put("tokenizer.ggml.bos_token_id", new GgufValue.UInt32(1));
        values.put("tokenizer.ggml.eos_token_id", new GgufValue.UInt32(2));
        if (template != null) {
            values.put(ChatTemplates.TEMPLATE_KEY, new GgufValue.Str(template));
        }
        return GgufMetadata.of(values);
    }

    @Test
    void modelTemplateIsUsedWithTheVocabularysBosAndEos() {
        ChatTemplateChoice choice = ChatTemplates.fromGguf(metadata(GoldenData.template("llama-2")));

        assertThat(choice.warning()).isEmpty();
        assertThat(choice.template().name()).isEqualTo("llama2");
        assertThat(choice.template().bosText()).isEqualTo("<s>");
        assertThat(choice.template().stopTexts()).containsExactly("</s>");
        assertThat(choice.template().render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Yo"),
                ChatMessage.user("Bye")), true)).isEqualTo("<s>[INST] Hi [/INST] Yo </s><s>[INST] Bye [/INST]");
    }

    @Test
    void missingTemplateFallsBackToChatmlWithAWarning() {
        for (String template : new String[] {null, "", "  \n"}) {
            ChatTemplateChoice choice = ChatTemplates.fromGguf(metadata(template));

            assertThat(choice.template().name()).isEqualTo("chatml");
            assertThat(choice.template().render(HELLO, true))
                    .isEqualTo("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
            assertThat(choice.warning()).hasValueSatisfying(w -> assertThat(w)
                    .contains("no chat template", "tokenizer.chat_template", "ChatML"));
        }
    }

    @Test
    void unknownTemplateFallsBackToChatmlWithAWarningQuotingIt() {
        String custom = "{% for m in messages %}### {{ m.role }}:\n{{ m.content }}\n{% endfor %}### Response:";
        ChatTemplateChoice choice = ChatTemplates.fromGguf(metadata(custom));

        assertThat(choice.template().name()).isEqualTo("chatml");
        assertThat(choice.template().stopTexts()).containsExactly("<|im_end|>");
        assertThat(choice.warning()).hasValueSatisfying(w -> assertThat(w)
                .contains("not recognised", "{% for m in messages %}### {{ m.role }}:\\n", "...", "ChatML"));
    }

    @Test
    void familiesThatAreNotImplementedAreNotMistakenForKnownOnes() {
        // Markers of formats that share tokens with a known family but lay them out differently.
        for (String template : List.of(
                "{{ bos_token }}[SYSTEM_PROMPT]{{ system }}[/SYSTEM_PROMPT][INST]{{ m }}[/INST]", // Mistral v7
                "{%- if messages[0]['role'] == 'system' %}{{ ' [INST] ' + system_message }}{% endif %}", // v1
                "{{'<|im_start|>' + message['role'] + '<|im_sep|>' + message['content'] + '<|im_end|>'}}", // Phi-4
                "{%- set first_user_prefix = messages[0]['content'] -%}<start_of_turn>user\n")) { // Gemma 3
            assertThat(ChatTemplates.fromGguf(metadata(template)).warning()).as(template).isPresent();
        }
    }

    @Test
    void tokenIdsOutsideTheVocabularyGiveNoBosOrEosText() {
        Map<String, GgufValue> values = new LinkedHashMap<>(metadata(GoldenData.template("mistral-instruct"))
                .asMap());
        values.put("tokenizer.ggml.bos_token_id", new GgufValue.UInt32(99));
        values.remove("tokenizer.ggml.eos_token_id");
        ChatTemplate mistral = ChatTemplates.fromGguf(GgufMetadata.of(values)).template();

        assertThat(mistral.bosText()).isEmpty();
        assertThat(mistral.stopTexts()).isEmpty();
        assertThat(mistral.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Yo")), false))
                .isEqualTo("[INST] Hi [/INST]Yo");
    }

    @Test
    void templateOfTheWrongTypeIsAFormatError() {
        Map<String, GgufValue> values = new LinkedHashMap<>(metadata(null).asMap());
        values.put(ChatTemplates.TEMPLATE_KEY, new GgufValue.UInt32(7));

        assertThatThrownBy(() -> ChatTemplates.fromGguf(GgufMetadata.of(values)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining(ChatTemplates.TEMPLATE_KEY);
    }

    @Test
    void bosIsAddedOnlyWhenTheVocabularyAsksAndTheTextLacksIt() {
        ChatTemplate gemma = ChatTemplates.fromTemplateText(GoldenData.template("gemma-2"), "<bos>", "<eos>",
                GoldenData.CLOCK).template();
        String rendered = gemma.render(HELLO, true);
        assertThat(rendered).startsWith("<bos>");
        assertThat(gemma.addBos(rendered, true)).isFalse();
        assertThat(gemma.addBos(rendered, false)).isFalse();

        ChatTemplate zephyr = ChatTemplates.fromTemplateText(GoldenData.template("zephyr"), "<s>", "</s>",
                GoldenData.CLOCK).template();
        String plain = zephyr.render(HELLO, true);
        assertThat(zephyr.addBos(plain, true)).isTrue();
        assertThat(zephyr.addBos(plain, false)).isFalse();

        assertThat(ChatTemplates.chatml("").addBos("<s>anything", true)).isTrue();
    }

    @Test
    void stopTextsAreEachFamilysEndOfTurn() {
        Map<String, List<String>> stops = Map.of(
                "smollm2", List.of("<|im_end|>"),
                "llama-3", List.of("<|eot_id|>"),
                "llama-3.1", List.of("<|eot_id|>", "<|eom_id|>"),
                "llama-3.2", List.of("<|eot_id|>"),
                "llama-2", List.of("</s>"),
                "zephyr", List.of("</s>"),
                "phi-3.5-mini", List.of("<|end|>"),
                "gemma-2", List.of("<end_of_turn>"));
        stops.forEach((name, expected) -> assertThat(ChatTemplates.fromTemplateText(GoldenData.template(name),
                "<s>", "</s>", GoldenData.CLOCK).template().stopTexts()).as(name).isEqualTo(expected));
    }

    @Test
    void llama3DateComesFromTheClock() {
        Clock september = Clock.fixed(Instant.parse("2024-09-05T23:30:00Z"), ZoneOffset.UTC);
        for (String name : List.of("llama-3.1", "llama-3.2")) {
            ChatTemplate llama = ChatTemplates.fromTemplateText(GoldenData.template(name), "<|begin_of_text|>",
                    "<|eot_id|>", september).template();
            assertThat(llama.render(HELLO, true)).as(name).contains("\nToday Date: 05 Sep 2024\n\n<|eot_id|>");
        }
    }

    @Test
    void trimmingFollowsPythonIncludingNoBreakSpaces() {
        ChatTemplate gemma = ChatTemplates.fromTemplateText(GoldenData.template("gemma-2"), "", "", GoldenData.CLOCK)
                .template();
        // Python's str.strip() removes U+00A0, U+2003 and U+0085; Java's String.strip() keeps U+00A0 and U+0085.
        assertThat(gemma.render(List.of(ChatMessage.user("\u00a0\u2003 Hi there\u0085\n")), false))
                .isEqualTo("<start_of_turn>user\nHi there<end_of_turn>\n");
    }

    @Test
    void refusalsQuoteTheTemplatesMessage() {
        ChatTemplate mistral = ChatTemplates.fromTemplateText(GoldenData.template("mistral-instruct"), "<s>", "</s>",
                GoldenData.CLOCK).template();
        assertThatThrownBy(() -> mistral.render(List.of(ChatMessage.user("Hi"), ChatMessage.system("Be brief")),
                true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("chat template 'mistral' cannot render this conversation: "
                        + "Only user and assistant roles are supported!");

        ChatTemplate gemma = ChatTemplates.fromTemplateText(GoldenData.template("gemma-2"), "<bos>", "<eos>",
                GoldenData.CLOCK).template();
        assertThatThrownBy(() -> gemma.render(List.of(ChatMessage.system("A"), ChatMessage.system("B"),
                ChatMessage.user("Hi")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageEndingWith(": System role not supported");
        assertThatThrownBy(() -> gemma.render(List.of(ChatMessage.assistant("Hi")), true))
                .hasMessageEndingWith(": " + "Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void emptyConversationIsRejected() {
        assertThatThrownBy(() -> ChatTemplates.chatml("").render(List.of(), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one message");
    }

    @Test
    void messagesNeedARoleAndContent() {
        assertThatThrownBy(() -> new ChatMessage(" ", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("role");
        assertThatThrownBy(() -> new ChatMessage("user", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("content");
        assertThat(ChatMessage.system("s")).isEqualTo(new ChatMessage("system", "s"));
    }
}
