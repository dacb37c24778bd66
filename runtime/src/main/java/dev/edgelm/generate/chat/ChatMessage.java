package dev.edgelm.generate.chat;

import java.util.Objects;

/**
 * One message of a conversation, as OpenAI-style chat APIs send it.
 *
 * @param role    who speaks: {@link #SYSTEM}, {@link #USER} or {@link #ASSISTANT} (templates decide what other roles
 *                mean; most ignore them or refuse them)
 * @param content the text, used exactly as given: templates that trim do so themselves
 */
public record ChatMessage(String role, String content) {
    /** Instructions that frame the whole conversation. */
    public static final String SYSTEM = "system";
    /** The person talking to the model. */
    public static final String USER = "user";
    /** The model's own earlier replies. */
    public static final String ASSISTANT = "assistant";

    /** Both parts are required; the role must not be blank. */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) {
            throw new IllegalArgumentException("a chat message's role must not be blank");
        }
    }

    /** A {@link #SYSTEM} message. */
    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content);
    }

    /** A {@link #USER} message. */
    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    /** An {@link #ASSISTANT} message. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }
}
