package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Phi-3 ({@code <|user|>\n...<|end|>\n<|assistant|>\n}), in its two shapes: Phi-3-mini's first template has no
 * system role and opens an assistant turn after every user turn, whatever the caller asks; Phi-3.5-mini's has a
 * system role, a generation prompt, and ends with EOS without one.
 *
 * @param bosText    the vocabulary's BOS text
 * @param eosText    the vocabulary's EOS text
 * @param writesBos  the template starts with {@code bos_token}
 * @param systemRole the Phi-3.5 shape; false for Phi-3-mini's
 */
record Phi3Template(String bosText, String eosText, boolean writesBos, boolean systemRole) implements ChatTemplate {
    @Override
    public String name() {
        return "phi3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.checked(messages);
        StringBuilder out = new StringBuilder(writesBos ? bosText : "");
        if (!systemRole) {
            for (ChatMessage message : Turns.mergeLeadingSystem(name(), turns)) {
                if (Turns.isUser(message)) {
                    turn(out, message).append("<|assistant|>\n");
                } else if (Turns.isAssistant(message)) {
                    out.append(message.content()).append("<|end|>\n");
                }
            }
            return out.toString();
        }
        for (ChatMessage message : turns) {
            // An empty system message is left out, as the template does.
            if (Turns.isUser(message) || Turns.isAssistant(message)
                    || Turns.isSystem(message) && !message.content().isEmpty()) {
                turn(out, message);
            }
        }
        out.append(addGenerationPrompt ? "<|assistant|>\n" : eosText);
        return out.toString();
    }

    private static StringBuilder turn(StringBuilder out, ChatMessage message) {
        return out.append("<|").append(message.role()).append("|>\n").append(message.content()).append("<|end|>\n");
    }

    @Override
    public List<String> stopTexts() {
        return List.of("<|end|>");
    }
}
