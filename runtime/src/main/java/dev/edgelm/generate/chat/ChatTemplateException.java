package dev.edgelm.generate.chat;

/** A chat template refused a conversation; the message names the template and quotes its reason. */
public final class ChatTemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ChatTemplateException(String templateName, String reason) {
        super("chat template '" + templateName + "' cannot render this conversation: " + reason);
    }
}
