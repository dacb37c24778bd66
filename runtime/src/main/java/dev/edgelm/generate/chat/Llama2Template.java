package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Llama 2 chat ({@code <s>[INST] <<SYS>>\n...\n<</SYS>>\n\nquestion [/INST] answer </s>}): the system message goes
 * inside the first user turn, every user turn starts with BOS, contents are trimmed, roles must alternate.
 *
 * @param bosText the vocabulary's BOS text
 * @param eosText the vocabulary's EOS text, which ends each assistant turn
 */
record Llama2Template(String bosText, String eosText) implements ChatTemplate {
    @Override
    public String name() {
        return "llama2";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.checked(messages);
        String system = null;
        if (Turns.isSystem(turns.getFirst())) {
            system = turns.getFirst().content();
            turns = turns.subList(1, turns.size());
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage message = turns.get(i);
            Turns.requireAlternation(name(), message, i);
            String content = i == 0 && system != null
                    ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + message.content()
                    : message.content();
            // The template writes nothing for other roles (a later system message), and has no generation prompt:
            // a conversation ending in a user turn already ends where the answer starts.
            if (Turns.isUser(message)) {
                out.append(bosText).append("[INST] ").append(Turns.strip(content)).append(" [/INST]");
            } else if (Turns.isAssistant(message)) {
                out.append(' ').append(Turns.strip(content)).append(' ').append(eosText);
            }
        }
        return out.toString();
    }

    @Override
    public List<String> stopTexts() {
        return Turns.stopTexts(eosText);
    }
}
