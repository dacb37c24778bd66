package dev.edgelm.generate.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every conversation of {@code /chat/conversations.txt}, with and without the generation prompt, through every real
 * template of {@code /chat/templates}, against Python Jinja2's rendering of the same template.
 */
class ChatTemplateGoldenTest {
    /** Each test template and the family it must be recognised as. */
    private static final Map<String, String> FAMILIES = Map.ofEntries(
            Map.entry("smollm2", "chatml"),
            Map.entry("qwen2", "chatml"),
            Map.entry("qwen2.5", "chatml"),
            Map.entry("llama-3", "llama3"),
            Map.entry("llama-3.1", "llama3.1"),
            Map.entry("llama-3.2", "llama3.1"),
            Map.entry("llama-2", "llama2"),
            Map.entry("mistral-instruct", "mistral"),
            Map.entry("mistral-7b-instruct-v0.1", "mistral"),
            Map.entry("zephyr", "zephyr"),
            Map.entry("phi-3-mini", "phi3"),
            Map.entry("phi-3.5-mini", "phi3"),
            Map.entry("gemma-2", "gemma"));

    @TestFactory
    Stream<DynamicTest> rendersLikeTheReference() {
        Map<String, List<ChatMessage>> conversations = GoldenData.conversations();
        return FAMILIES.keySet().stream().sorted().flatMap(name -> {
            GoldenData.Expected expected = GoldenData.expected(name);
            ChatTemplateChoice choice = ChatTemplates.fromTemplateText(GoldenData.template(name), expected.bos(),
                    expected.eos(), GoldenData.CLOCK);
            Stream<DynamicTest> recognised = Stream.of(dynamicTest(name + " is recognised as "
                    + FAMILIES.get(name), () -> {
                        assertThat(choice.warning()).isEmpty();
                        assertThat(choice.template().name()).isEqualTo(FAMILIES.get(name));
                    }));
            return Stream.concat(recognised, expected.cases().stream().map(c -> dynamicTest(
                    name + " " + c.conversation() + (c.addGenerationPrompt() ? " +generation prompt" : ""),
                    () -> check(choice.template(), conversations.get(c.conversation()), c))));
        });
    }

    private static void check(ChatTemplate template, List<ChatMessage> messages, GoldenData.Case c) {
        assertThat(messages).as("conversation %s", c.conversation()).isNotNull();
        if (!c.isError()) {
            assertThat(template.render(messages, c.addGenerationPrompt())).isEqualTo(c.expected());
        } else if (c.expected().equals("!?")) {
            assertThatThrownBy(() -> template.render(messages, c.addGenerationPrompt()))
                    .isInstanceOf(ChatTemplateException.class)
                    .hasMessageContaining("'" + template.name() + "'")
                    .hasMessageContaining("no system role");
        } else {
            assertThatThrownBy(() -> template.render(messages, c.addGenerationPrompt()))
                    .isInstanceOf(ChatTemplateException.class)
                    .hasMessage("chat template '" + template.name() + "' cannot render this conversation: "
                            + c.expected().substring(1));
        }
    }

    @Test
    void everyTemplateResourceIsChecked() throws IOException, URISyntaxException {
        Path dir = Path.of(ChatTemplateGoldenTest.class.getResource("/chat/templates").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString().replaceFirst("\\.jinja$", "")))
                    .containsExactlyInAnyOrderElementsOf(FAMILIES.keySet());
        }
    }
}
