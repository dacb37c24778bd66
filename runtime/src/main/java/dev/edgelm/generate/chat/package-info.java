/**
 * Chat templates: a conversation of {@link dev.edgelm.generate.chat.ChatMessage}s to the prompt text a chat model
 * was trained on, chosen from the Jinja template in the model's GGUF metadata ({@code tokenizer.chat_template}) by
 * {@link dev.edgelm.generate.chat.ChatTemplates#fromGguf ChatTemplates.fromGguf}.
 *
 * <p>The rendered text carries the model's control tokens as text; the caller tokenizes it with special-token parsing
 * on, lets the tokenizer add BOS only when {@link dev.edgelm.generate.chat.ChatTemplate#addBos} says so (never a
 * second BOS), and stops generating at the template's
 * {@link dev.edgelm.generate.chat.ChatTemplate#stopTexts() stop texts} as well as at the tokenizer's
 * end-of-generation tokens.
 *
 * <h2>Why the families are recognised rather than the Jinja executed</h2>
 *
 * <p>The one maintained Jinja engine for Java on Maven Central, HubSpot's Jinjava (2.8.4, measured here), brings 30
 * jars and 9.9 MB of dependencies (Guava 3.1 MB, Jackson 2.4 MB, Javassist, commons-lang3, SnakeYAML, ...): more than
 * the whole 6.4 MB device agent it would go into. Rendered over this package's test conversations (13 real templates,
 * 184 renderings compared with Python Jinja2, the engine Hugging Face uses), it got 136 right out of the box (every
 * Qwen2.5 rendering wrong: no whitespace control on expressions) and 152 with five of its "legacy overrides" turned
 * on (trimming on expressions, strict whitespace control, natural operator precedence, backslash escapes, adjacent
 * text nodes); the 32 still wrong were every Llama 3.1 and 3.2 rendering, because it reads
 * {@code not date_string is defined} as {@code (not date_string) is defined} and so always writes the template's
 * fallback date. Pebble, the other common Java engine, has Jinja-like but incompatible syntax (no
 * {@code messages[1:]}, {@code loop.index0}, {@code namespace()}). So, as llama.cpp's {@code llama_chat_apply_template}
 * does, {@link dev.edgelm.generate.chat.ChatTemplates} recognises the common families by distinctive markers in the
 * template text (plus the few variant markers that change the output, such as a default system message or the date
 * lines) and renders each with a small renderer that reproduces the real template's output exactly; the tests check
 * each against Python Jinja2's rendering of the real template. A template that matches no family gives ChatML with a
 * warning.
 *
 * <p>Semantics follow llama.cpp's chat code where Hugging Face's leave a choice: a leading system message for a
 * template without a system role is joined to the next message with a newline (llama.cpp's
 * {@code supports_system_role} workaround), and Llama 3.1+ gets today's date as {@code date_string}.
 */
package dev.edgelm.generate.chat;
