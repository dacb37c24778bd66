package dev.edgelm.generate.chat;

import dev.edgelm.gguf.GgufMetadata;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the chat template of a model: recognises the family of the Jinja template in its GGUF metadata by the
 * template's distinctive text, as llama.cpp's {@code llm_chat_detect_template} does, and renders it with that family's
 * renderer (the package documentation says why there is no Jinja engine).
 *
 * <p>Recognised: ChatML (SmolLM2, Qwen2, Qwen2.5, with the default system message a template writes), Llama 3 and
 * Llama 3.1 to 3.3 (with the date lines), Llama 2, Mistral Instruct v0.1/v0.2 ({@code [INST]} without a system
 * role), Zephyr (TinyLlama), Phi-3 and Phi-3.5, Gemma and Gemma 2. A missing template, or one not recognised (newer
 * Mistral formats with {@code [SYSTEM_PROMPT]} or {@code [AVAILABLE_TOOLS]}, Phi-4, Gemma 3, ...), gives ChatML with a
 * warning, as llama.cpp uses ChatML when a model has no template.
 */
public final class ChatTemplates {
    /** The metadata key holding the template's Jinja text. */
    public static final String TEMPLATE_KEY = "tokenizer.chat_template";

    /**
     * A default system message written as one literal: {@code <|im_start|>system}, a newline (raw or escaped), text
     * without quotes or expression syntax, {@code <|im_end|>}.
     */
    private static final Pattern DEFAULT_SYSTEM = Pattern.compile(
            "<\\|im_start\\|>system(?:\\n|\\\\n)((?:[^'\"\\\\{}+]|\\\\.)+?)<\\|im_end\\|>");

    private ChatTemplates() {
    }

    /** As {@link #fromGguf(GgufMetadata, Clock)} with the system clock (Llama 3.1's "Today Date" line). */
    public static ChatTemplateChoice fromGguf(GgufMetadata metadata) {
        return fromGguf(metadata, Clock.systemDefaultZone());
    }

    /**
     * The chat template of a model: {@code tokenizer.chat_template} recognised, with the BOS and EOS texts that
     * {@code tokenizer.ggml.bos_token_id} and {@code tokenizer.ggml.eos_token_id} select in
     * {@code tokenizer.ggml.tokens} (empty when an id is missing or out of range). No template, or an empty one,
     * gives ChatML with a warning.
     *
     * @param clock today's date for templates that write it
     * @throws dev.edgelm.gguf.GgufFormatException if one of those keys has the wrong type
     */
    public static ChatTemplateChoice fromGguf(GgufMetadata metadata, Clock clock) {
        String bos = tokenText(metadata, "tokenizer.ggml.bos_token_id");
        String eos = tokenText(metadata, "tokenizer.ggml.eos_token_id");
        Optional<String> template = metadata.getOptionalString(TEMPLATE_KEY).filter(t -> !t.isBlank());
        if (template.isEmpty()) {
            return new ChatTemplateChoice(chatml(bos), Optional.of("the model has no chat template (" + TEMPLATE_KEY
                    + "); using ChatML, which may not be the format it was trained on"));
        }
        return fromTemplateText(template.get(), bos, eos, clock);
    }

    /**
     * The template for Jinja text {@code template}, recognised by its family's markers; ChatML with a warning that
     * quotes the template's start if none matches.
     *
     * @param bosText the vocabulary's BOS token text ({@code bos_token}), empty if none
     * @param eosText the vocabulary's EOS token text ({@code eos_token}), empty if none
     * @param clock   today's date for templates that write it
     */
    public static ChatTemplateChoice fromTemplateText(String template, String bosText, String eosText, Clock clock) {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(bosText, "bosText");
        Objects.requireNonNull(eosText, "eosText");
        Objects.requireNonNull(clock, "clock");
        return recognise(template, bosText, eosText, clock)
                .map(t -> new ChatTemplateChoice(t, Optional.empty()))
                .orElseGet(() -> new ChatTemplateChoice(chatml(bosText), Optional.of("chat template not recognised ("
                        + preview(template) + "); using ChatML, which may not be the format the model was "
                        + "trained on")));
    }

    /** Plain ChatML with no default system message: the fallback. */
    public static ChatTemplate chatml(String bosText) {
        Objects.requireNonNull(bosText, "bosText");
        return new ChatMlTemplate(bosText, Optional.empty());
    }

    private static Optional<ChatTemplate> recognise(String t, String bos, String eos, Clock clock) {
        if (t.contains("<|im_start|>")) {
            // Phi-4 (<|im_sep|>) and SmolVLM (<end_of_utterance>) use ChatML's tokens in another layout.
            if (t.contains("<|im_sep|>") || t.contains("<end_of_utterance>")) {
                return Optional.empty();
            }
            return Optional.of(new ChatMlTemplate(bos, defaultSystem(t)));
        }
        if (t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>")) {
            List<String> stops = t.contains("<|eom_id|>") ? List.of("<|eot_id|>", "<|eom_id|>") : List.of("<|eot_id|>");
            return Optional.of(new Llama3Template(bos, t.contains("Cutting Knowledge Date"), clock, stops));
        }
        if (t.contains("[INST]")) {
            // Mistral's v1, v3 and v7 formats (a system prompt of their own, tools) are not implemented.
            if (t.contains("[SYSTEM_PROMPT]") || t.contains("[AVAILABLE_TOOLS]") || t.contains("' [INST] '")) {
                return Optional.empty();
            }
            return Optional.of(t.contains("<<SYS>>") ? new Llama2Template(bos, eos)
                    : new MistralTemplate(bos, eos, t.contains("eos_token + ' '")));
        }
        if (t.contains("<|assistant|>") && t.contains("<|end|>")) {
            boolean systemRole = t.contains("<|system|>") || t.contains("'<|' + message['role'] + '|>'");
            return Optional.of(new Phi3Template(bos, eos, t.contains("bos_token"), systemRole));
        }
        if (t.contains("<|user|>") && t.contains("<|assistant|>")
                && (t.contains("eos_token") || t.contains("<|endoftext|>"))) {
            return Optional.of(new ZephyrTemplate(bos, t.contains("eos_token") ? eos : "<|endoftext|>"));
        }
        if (t.contains("<start_of_turn>") && !t.contains("first_user_prefix")) { // Gemma 3 has a system role
            return Optional.of(new GemmaTemplate(bos));
        }
        return Optional.empty();
    }

    private static Optional<String> defaultSystem(String template) {
        Matcher m = DEFAULT_SYSTEM.matcher(template);
        return m.find() ? Optional.of(unescape(m.group(1))) : Optional.empty();
    }

    /** A Jinja (Python) string literal's escapes resolved: the ones default system messages use. */
    private static String unescape(String literal) {
        StringBuilder out = new StringBuilder(literal.length());
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (c == '\\' && i + 1 < literal.length()) {
                char next = literal.charAt(++i);
                out.append(switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> next; // \\, \' and \"
                });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String tokenText(GgufMetadata metadata, String idKey) {
        var id = metadata.getOptionalLong(idKey);
        var tokens = metadata.getOptionalStringArray("tokenizer.ggml.tokens");
        if (id.isEmpty() || tokens.isEmpty() || id.getAsLong() < 0 || id.getAsLong() >= tokens.get().size()) {
            return "";
        }
        return tokens.get().get((int) id.getAsLong());
    }

    /** The template's first 60 characters on one line, for a warning. */
    private static String preview(String template) {
        String line = template.strip().replace("\n", "\\n");
        return line.length() <= 60 ? "'" + line + "'" : "starts '" + line.substring(0, 60) + "...'";
    }
}
