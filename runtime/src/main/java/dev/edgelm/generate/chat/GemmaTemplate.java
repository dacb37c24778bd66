package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Gemma and Gemma 2 ({@code <bos><start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n}): no system role,
 * the assistant is called {@code model}, contents are trimmed, roles must alternate.
 *
 * @param bosText the vocabulary's BOS text, written first
 */
record GemmaTemplate(String bosText) implements ChatTemplate {
    @Override
    public String name() {
        return "gemma";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.mergeLeadingSystem(name(), Turns.checked(messages));
        if (Turns.isSystem(turns.getFirst())) {
            throw new ChatTemplateException(name(), "System role not supported"); // two system messages in a row
        }
        StringBuilder out = new StringBuilder(bosText);
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage message = turns.get(i);
            Turns.requireAlternation(name(), message, i);
            String role = Turns.isAssistant(message) ? "model" : message.role();
            out.append("<start_of_turn>").append(role).append('\n').append(Turns.strip(message.content()))
                    .append("<end_of_turn>\n");
        }
        if (addGenerationPrompt) {
            out.append("<start_of_turn>model\n");
        }
        return out.toString();
    }

    @Override
    public List<String> stopTexts() {
        return List.of("<end_of_turn>");
    }
}
