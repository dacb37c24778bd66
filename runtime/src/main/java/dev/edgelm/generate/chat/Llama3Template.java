package dev.edgelm.generate.chat;

import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Llama 3 ({@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}, contents trimmed).
 *
 * @param bosText    the vocabulary's BOS text, written first
 * @param dated      Llama 3.1 to 3.3: a system turn always comes first, with the knowledge cut-off and today's date
 *                   ({@code date_string}, which llama.cpp always sets; the 3.1 template's own default is a fixed
 *                   date, the 3.2 template's is today)
 * @param clock      where today's date comes from
 * @param stopTexts  {@code <|eot_id|>}, and {@code <|eom_id|>} when the template writes it (3.1's tool calls)
 */
record Llama3Template(String bosText, boolean dated, Clock clock, List<String> stopTexts) implements ChatTemplate {
    /** strftime's {@code %d %b %Y} in the C locale, as the templates and llama.cpp write the date. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);

    Llama3Template {
        stopTexts = List.copyOf(stopTexts);
    }

    @Override
    public String name() {
        return dated ? "llama3.1" : "llama3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<ChatMessage> turns = Turns.checked(messages);
        StringBuilder out = new StringBuilder(bosText);
        if (dated) {
            String system = "";
            if (Turns.isSystem(turns.getFirst())) {
                system = Turns.strip(turns.getFirst().content());
                turns = turns.subList(1, turns.size());
            }
            turn(out, ChatMessage.SYSTEM, "Cutting Knowledge Date: December 2023\nToday Date: "
                    + DATE.format(LocalDate.now(clock)) + "\n\n" + system);
        }
        for (ChatMessage message : turns) {
            turn(out, message.role(), Turns.strip(message.content()));
        }
        if (addGenerationPrompt) {
            header(out, ChatMessage.ASSISTANT);
        }
        return out.toString();
    }

    private static void turn(StringBuilder out, String role, String content) {
        header(out, role);
        out.append(content).append("<|eot_id|>");
    }

    private static void header(StringBuilder out, String role) {
        out.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n");
    }
}
