package dev.edgelm.generate.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The test resources under {@code /chat}: real templates, conversations, and the reference's renderings. */
final class GoldenData {
    /** The date generate_expected.py renders with. */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-02-10T12:00:00Z"), ZoneOffset.UTC);

    private static final Pattern HEADER = Pattern.compile("^# \\S+ rendered by \\S+; bos (\\S*), eos (\\S*), .*");

    /** One reference rendering: {@code expected} is the output, or the error after {@code !}. */
    record Case(String conversation, boolean addGenerationPrompt, String expected) {
        boolean isError() {
            return expected.startsWith("!");
        }
    }

    /** A template's reference renderings, and the BOS/EOS texts they were rendered with. */
    record Expected(String bos, String eos, List<Case> cases) {
    }

    private GoldenData() {
    }

    static String template(String name) {
        return read("/chat/templates/" + name + ".jinja");
    }

    /** Conversations by name, in file order. */
    static Map<String, List<ChatMessage>> conversations() {
        Map<String, List<ChatMessage>> conversations = new LinkedHashMap<>();
        for (String line : read("/chat/conversations.txt").split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                String[] parts = line.split("\t", -1);
                conversations.computeIfAbsent(parts[0], k -> new ArrayList<>())
                        .add(new ChatMessage(parts[1], unescape(parts[2])));
            }
        }
        return conversations;
    }

    static Expected expected(String name) {
        String[] lines = read("/chat/expected/" + name + ".txt").split("\n");
        Matcher header = HEADER.matcher(lines[0]);
        if (!header.matches()) {
            throw new IllegalStateException("expected/" + name + ".txt: bad header line " + lines[0]);
        }
        List<Case> cases = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] parts = lines[i].split("\t", -1);
            cases.add(new Case(parts[0], parts[1].equals("gen"), unescape(parts[2])));
        }
        return new Expected(header.group(1), header.group(2), cases);
    }

    /** The escapes of the resource files: {@code \n}, {@code \t}, {@code \\}. */
    static String unescape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(next == 'n' ? '\n' : next == 't' ? '\t' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String read(String resource) {
        try (InputStream in = GoldenData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
