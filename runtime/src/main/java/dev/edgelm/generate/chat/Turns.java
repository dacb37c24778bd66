package dev.edgelm.generate.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the template renderers share: input checks, llama.cpp's system-message merge, Jinja's {@code trim}. */
final class Turns {
    /** The error the Llama 2, Mistral and Gemma templates raise, in their words. */
    static final String MUST_ALTERNATE = "Conversation roles must alternate user/assistant/user/assistant/...";

    private Turns() {
    }

    /** An immutable copy of {@code messages}, which must be non-empty and hold no nulls. */
    static List<ChatMessage> checked(List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
        return List.copyOf(messages);
    }

    static boolean isSystem(ChatMessage message) {
        return ChatMessage.SYSTEM.equals(message.role());
    }

    static boolean isUser(ChatMessage message) {
        return ChatMessage.USER.equals(message.role());
    }

    static boolean isAssistant(ChatMessage message) {
        return ChatMessage.ASSISTANT.equals(message.role());
    }

    /**
     * For a template without a system role: a leading system message joined to the next message with a newline, as
     * llama.cpp does (its templates would otherwise raise or drop it).
     */
    static List<ChatMessage> mergeLeadingSystem(String templateName, List<ChatMessage> messages) {
        if (!isSystem(messages.getFirst())) {
            return messages;
        }
        if (messages.size() == 1) {
            throw new ChatTemplateException(templateName, "it has no system role, so the system message is joined "
                    + "to the next message, and there is none: add a user message");
        }
        List<ChatMessage> merged = new ArrayList<>(messages.subList(1, messages.size()));
        ChatMessage next = merged.getFirst();
        merged.set(0, new ChatMessage(next.role(), messages.getFirst().content() + "\n" + next.content()));
        return merged;
    }

    /** {@code text} as the only stop text, or none when the vocabulary has no such token (an empty text). */
    static List<String> stopTexts(String text) {
        return text.isEmpty() ? List.of() : List.of(text);
    }

    /** The templates' check that user turns sit at even positions and only there. */
    static void requireAlternation(String templateName, ChatMessage message, int index) {
        if (isUser(message) != (index % 2 == 0)) {
            throw new ChatTemplateException(templateName, MUST_ALTERNATE);
        }
    }

    /** Jinja's {@code trim} and Python's {@code str.strip()}: Unicode whitespace at both ends, no-break spaces too. */
    static String strip(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isPythonSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    // Python's str.isspace() counts the no-break spaces and NEL, which Java's isWhitespace leaves out.
    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
