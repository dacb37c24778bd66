package dev.edgelm.generate.chat;

import java.util.List;
import java.util.Optional;

/**
 * ChatML ({@code <|im_start|>role\n...<|im_end|>\n}): SmolLM2, Qwen2 and Qwen2.5, OpenHermes, and the fallback.
 *
 * @param bosText       the vocabulary's BOS text (ChatML never writes it)
 * @param defaultSystem the system message the template writes when the conversation has none (SmolLM2's and
 *                      Qwen's templates each have one)
 */
record ChatMlTemplate(String bosText, Optional<String> defaultSystem) implements ChatTemplate {
    @Override
    public String name() {
        return "chatml";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.checked(messages);
        StringBuilder out = new StringBuilder();
        if (defaultSystem.isPresent() && !Turns.isSystem(turns.getFirst())) {
            turn(out, ChatMessage.SYSTEM, defaultSystem.get());
        }
        for (ChatMessage message : turns) {
            turn(out, message.role(), message.content());
        }
        if (addGenerationPrompt) {
            out.append("<|im_start|>assistant\n");
        }
        return out.toString();
    }

    private static void turn(StringBuilder out, String role, String content) {
        out.append("<|im_start|>").append(role).append('\n').append(content).append("<|im_end|>\n");
    }

    @Override
    public List<String> stopTexts() {
        return List.of("<|im_end|>");
    }
}
