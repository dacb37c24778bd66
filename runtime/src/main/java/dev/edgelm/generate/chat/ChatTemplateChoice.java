package dev.edgelm.generate.chat;

import java.util.Objects;
import java.util.Optional;

/**
 * The chat template chosen for a model, and why it may be a guess.
 *
 * <p>The warning is data rather than a log line so that each caller shows it where its user looks: the CLI on
 * standard error, the HTTP server in its log, tests in assertions.
 *
 * @param template the template to use
 * @param warning  present when the model's own template was missing or not recognised and ChatML is used instead
 */
public record ChatTemplateChoice(ChatTemplate template, Optional<String> warning) {
    /** Both are required. */
    public ChatTemplateChoice {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(warning, "warning");
    }
}
