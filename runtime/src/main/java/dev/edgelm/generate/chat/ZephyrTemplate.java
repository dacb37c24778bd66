package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Zephyr, as TinyLlama-1.1B-Chat uses it ({@code <|user|>\n...</s>\n<|assistant|>\n}).
 *
 * @param bosText the vocabulary's BOS text (the template does not write it)
 * @param endText what ends every turn: the template's {@code eos_token}, or the literal it writes instead
 */
record ZephyrTemplate(String bosText, String endText) implements ChatTemplate {
    @Override
    public String name() {
        return "zephyr";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage message : Turns.checked(messages)) {
            // Other roles write nothing, as in the template.
            if (Turns.isUser(message) || Turns.isSystem(message) || Turns.isAssistant(message)) {
                out.append("<|").append(message.role()).append("|>\n").append(message.content()).append(endText)
                        .append('\n');
            }
        }
        if (addGenerationPrompt) {
            out.append("<|assistant|>\n");
        }
        return out.toString();
    }

    @Override
    public List<String> stopTexts() {
        return Turns.stopTexts(endText);
    }
}
