package dev.edgelm.generate.chat;

import java.util.List;

/**
 * Turns a conversation into the prompt text a chat model was trained on. Implementations are immutable and
 * thread-safe; get one from {@link ChatTemplates}.
 *
 * <p>The rendered text contains the model's control tokens as text ({@code <|im_start|>}, {@code <s>}): tokenize it
 * with special-token parsing on, and ask {@link #addBos} whether to let the tokenizer add BOS as well.
 */
public interface ChatTemplate {
    /** The template family, for logs and {@code edgelm info}: {@code chatml}, {@code llama3}, {@code gemma}, .... */
    String name();

    /**
     * Renders {@code messages} as the model's template does (Hugging Face's Jinja semantics), with llama.cpp's
     * adjustment for templates that have no system role: a leading system message is prepended, with a newline, to
     * the message after it.
     *
     * @param messages            the conversation, at least one message
     * @param addGenerationPrompt end with the opening of an assistant turn, so that the model writes the reply
     * @throws ChatTemplateException    if the template refuses the conversation (roles that do not alternate, a role
     *                                  it does not support); the message quotes the template's own error
     * @throws IllegalArgumentException if {@code messages} is empty
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * The texts that end an assistant turn in this template ({@code <|im_end|>}, {@code <|eot_id|>},
     * {@code <end_of_turn>}, ...): a generator stops when the model produces one. Map them to token ids with the
     * tokenizer; the tokenizer's own end-of-generation tokens (EOS) stop generation too.
     */
    List<String> stopTexts();

    /** The text of the vocabulary's BOS token, which templates write as {@code bos_token}; empty if there is none. */
    String bosText();

    /**
     * Whether to let the tokenizer add BOS in front of {@code rendered}: only when the vocabulary asks for BOS and
     * the text does not already start with it, so that BOS is never doubled (llama.cpp's rule).
     *
     * @param rendered           what {@link #render} returned
     * @param vocabularyAddsBos  the tokenizer's {@code addsBos()}
     */
    default boolean addBos(String rendered, boolean vocabularyAddsBos) {
        return vocabularyAddsBos && (bosText().isEmpty() || !rendered.startsWith(bosText()));
    }
}
