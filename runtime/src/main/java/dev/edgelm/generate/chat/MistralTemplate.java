package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Mistral Instruct v0.1/v0.2 and Mixtral ({@code <s>[INST] question [/INST]answer</s>}): no system role, contents as
 * given, roles must alternate.
 *
 * @param bosText       the vocabulary's BOS text, written first
 * @param eosText       the vocabulary's EOS text, which ends each assistant turn
 * @param spaceAfterEos Mistral-7B-Instruct-v0.1's template writes a space after each EOS; later ones do not
 */
record MistralTemplate(String bosText, String eosText, boolean spaceAfterEos) implements ChatTemplate {
    @Override
    public String name() {
        return "mistral";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.mergeLeadingSystem(name(), Turns.checked(messages));
        StringBuilder out = new StringBuilder(bosText);
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage message = turns.get(i);
            Turns.requireAlternation(name(), message, i);
            if (Turns.isUser(message)) {
                out.append("[INST] ").append(message.content()).append(" [/INST]");
            } else if (Turns.isAssistant(message)) {
                out.append(message.content()).append(eosText).append(spaceAfterEos ? " " : "");
            } else {
                throw new ChatTemplateException(name(), "Only user and assistant roles are supported!");
            }
        }
        return out.toString();
    }

    @Override
    public List<String> stopTexts() {
        return Turns.stopTexts(eosText);
    }
}
