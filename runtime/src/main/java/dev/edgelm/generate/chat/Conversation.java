package dev.edgelm.generate.chat;

import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A multi-turn chat on one {@link Session}: each reply renders the whole conversation through the model's chat
 * template, and the session's prefix reuse means only the new turn is computed.
 *
 * <p>Not thread-safe, like the session under it.
 */
public final class Conversation {
    private final Session session;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final List<ChatMessage> messages = new ArrayList<>();

    /**
     * A conversation with an optional system message.
     *
     * @param system the system message, or null for none
     */
    public Conversation(Session session, Tokenizer tokenizer, ChatTemplate template, String system) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.template = template;
        if (system != null && !system.isEmpty()) {
            messages.add(ChatMessage.system(system));
        }
    }

    /**
     * The token ids of {@code messages} rendered by {@code template} and ready for the model to reply: control
     * tokens in the template parsed, BOS added only where the template did not write it.
     *
     * @throws ChatTemplateException if the template refuses the conversation
     */
    public static int[] promptTokens(ChatTemplate template, Tokenizer tokenizer, List<ChatMessage> messages) {
        String rendered = template.render(messages, true);
        return tokenizer.encode(rendered, template.addBos(rendered, tokenizer.addsBos()), true);
    }

    /** The messages so far. */
    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    /**
     * Adds the user's message, generates the assistant's reply (streamed to {@code sink}) and adds it to the
     * conversation. A reply cut short by cancellation or a full context is kept as it is.
     *
     * @throws ChatTemplateException if the template refuses the conversation; it is left unchanged
     * @throws dev.edgelm.model.ContextFullException if the conversation no longer fits in the context; it is left
     *     unchanged
     */
    public GenerationResult reply(String user, SamplingParams sampling, int maxTokens, Cancellation cancellation,
            TokenSink sink) {
        return reply(user, sampling, maxTokens, Optional.empty(), cancellation, sink);
    }

    /**
     * As {@link #reply(String, SamplingParams, int, Cancellation, TokenSink)}, the reply constrained to follow
     * {@code grammar} when one is given (it then ends as soon as the grammar is complete).
     */
    public GenerationResult reply(String user, SamplingParams sampling, int maxTokens, Optional<Grammar> grammar,
            Cancellation cancellation, TokenSink sink) {
        List<ChatMessage> next = new ArrayList<>(messages);
        next.add(ChatMessage.user(user));
        int[] prompt = promptTokens(template, tokenizer, next);
        GenerationResult result = session.generate(new GenerationRequest(prompt, sampling, maxTokens, List.of(),
                cancellation, false, grammar), sink);
        next.add(ChatMessage.assistant(result.text()));
        messages.clear();
        messages.addAll(next);
        return result;
    }
}
