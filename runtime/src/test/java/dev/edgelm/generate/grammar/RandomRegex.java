package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Random regular expressions in the subset {@link RegexTranslator} supports, each with a generator of strings that
 * match it whole. Independent of the translator: the strings come from the expression's own structure.
 */
final class RandomRegex {
    /** Characters that matches and non-matches are drawn from: the usual and the troublesome. */
    static final int[] POOL = {'a', 'b', 'z', 'A', 'Q', '0', '5', '9', '_', '-', '.', ' ', '/', '"', '\\', '\n', '\r',
        '\t', 0, 0x1F, 0x7F, 0x85, 0x2028, 0xE9, 0x4E2D, 0x1F600, '[', ']', '^', '$', '(', '|', '*', '{'};
    private static final String METACHARACTERS = "\\^$.|?*+()[]{}/-";

    /** A part of a regular expression: its text, and a way to produce a string it matches. */
    interface Node {
        String text();

        void sample(SplittableRandom random, StringBuilder out);
    }

    private record Literal(int c) implements Node {
        public String text() {
            return escape(c, METACHARACTERS);
        }

        public void sample(SplittableRandom random, StringBuilder out) {
            out.appendCodePoint(c);
        }
    }

    /** A set of characters written as a class, an escape or a dot. */
    private record CharSet(String text, IntPredicate contains) implements Node {
        public void sample(SplittableRandom random, StringBuilder out) {
            for (int attempt = 0; attempt < 100; attempt++) {
                int c = switch (random.nextInt(3)) {
                    case 0 -> POOL[random.nextInt(POOL.length)];
                    case 1 -> random.nextInt(0x20, 0x7F);
                    default -> random.nextInt(0x20, 0x3000);
                };
                if (contains.test(c) && !Character.isSurrogate((char) c)) {
                    out.appendCodePoint(c);
                    return;
                }
            }
            int member = IntStream.concat(IntStream.of(POOL), IntStream.range(0x20, 0x3000))
                    .filter(c -> !Character.isSurrogate((char) c) && contains.test(c)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no sample for " + text));
            out.appendCodePoint(member);
        }
    }

    private record Group(List<List<Node>> branches, boolean capturing) implements Node {
        public String text() {
            List<String> parts = new ArrayList<>();
            for (List<Node> branch : branches) {
                parts.add(sequenceText(branch));
            }
            return (capturing ? "(" : "(?:") + String.join("|", parts) + ")";
        }

        public void sample(SplittableRandom random, StringBuilder out) {
            branches.get(random.nextInt(branches.size())).forEach(n -> n.sample(random, out));
        }
    }

    private record Quantified(Node item, int min, int max, String suffix) implements Node {
        public String text() {
            return item.text() + suffix;
        }

        public void sample(SplittableRandom random, StringBuilder out) {
            int count = min + random.nextInt((max < 0 ? min + 4 : max) - min + 1);
            for (int i = 0; i < count; i++) {
                item.sample(random, out);
            }
        }
    }

    /** A whole pattern, perhaps anchored. */
    record Pattern(List<List<Node>> branches, boolean anchored) {
        String text() {
            List<String> parts = new ArrayList<>();
            for (List<Node> branch : branches) {
                parts.add(sequenceText(branch));
            }
            String body = String.join("|", parts);
            return anchored ? "^(?:" + body + ")$" : body;
        }

        String sample(SplittableRandom random) {
            StringBuilder out = new StringBuilder();
            branches.get(random.nextInt(branches.size())).forEach(n -> n.sample(random, out));
            return out.toString();
        }
    }

    private final SplittableRandom random;

    RandomRegex(SplittableRandom random) {
        this.random = random;
    }

    Pattern next() {
        return new Pattern(branches(0), random.nextBoolean());
    }

    private List<List<Node>> branches(int depth) {
        List<List<Node>> branches = new ArrayList<>();
        int count = random.nextInt(4) == 0 ? 2 : 1;
        for (int i = 0; i < count; i++) {
            List<Node> sequence = new ArrayList<>();
            int length = 1 + random.nextInt(4);
            for (int j = 0; j < length; j++) {
                sequence.add(quantified(depth));
            }
            branches.add(sequence);
        }
        return branches;
    }

    private Node quantified(int depth) {
        Node atom = atom(depth);
        // Unbounded repetition of a group invites catastrophic backtracking in java.util.regex (the validator's).
        int kinds = atom instanceof Group ? 3 : 0;
        return switch (kinds + random.nextInt(8 - kinds)) {
            case 0 -> new Quantified(atom, 0, -1, "*");
            case 1 -> new Quantified(atom, 1, -1, "+");
            case 2 -> new Quantified(atom, 0, 1, "?");
            case 3 -> {
                int m = random.nextInt(4);
                yield new Quantified(atom, m, m, "{" + m + "}");
            }
            case 4 -> {
                int m = random.nextInt(3);
                int n = m + random.nextInt(3);
                boolean bounded = random.nextBoolean() || atom instanceof Group;
                yield bounded ? new Quantified(atom, m, n, "{" + m + "," + n + "}")
                        : new Quantified(atom, m, -1, "{" + m + ",}");
            }
            default -> atom;
        };
    }

    private Node atom(int depth) {
        // One level of groups: nested repeated groups make java.util.regex (the validator's) backtrack for ages.
        int kind = random.nextInt(depth < 1 ? 7 : 6);
        return switch (kind) {
            case 0, 1 -> new Literal(POOL[random.nextInt(POOL.length)]);
            case 2 -> new CharSet(".", c -> c != '\n' && c != '\r' && c != 0x85 && c != 0x2028 && c != 0x2029);
            case 3 -> classEscape();
            case 4, 5 -> characterClass();
            default -> new Group(branches(depth + 1), random.nextBoolean());
        };
    }

    private CharSet classEscape() {
        return switch (random.nextInt(6)) {
            case 0 -> new CharSet("\\d", RandomRegex::isDigit);
            case 1 -> new CharSet("\\D", c -> !isDigit(c));
            case 2 -> new CharSet("\\w", RandomRegex::isWord);
            case 3 -> new CharSet("\\W", c -> !isWord(c));
            case 4 -> new CharSet("\\s", RandomRegex::isSpace);
            default -> new CharSet("\\S", c -> !isSpace(c));
        };
    }

    /** A class that matches something (a class can be empty, as [^\\s\\S], but then no sample exists). */
    private CharSet characterClass() {
        while (true) {
            CharSet candidate = anyCharacterClass();
            if (IntStream.concat(IntStream.of(POOL), IntStream.range(0x20, 0x3000)).anyMatch(
                    c -> !Character.isSurrogate((char) c) && candidate.contains().test(c))) {
                return candidate;
            }
        }
    }

    private CharSet anyCharacterClass() {
        boolean negated = random.nextInt(3) == 0;
        StringBuilder text = new StringBuilder(negated ? "[^" : "[");
        List<IntPredicate> members = new ArrayList<>();
        int items = 1 + random.nextInt(3);
        for (int i = 0; i < items; i++) {
            switch (random.nextInt(3)) {
                case 0 -> {
                    int from = "a0A".charAt(random.nextInt(3)) + random.nextInt(5);
                    int to = from + random.nextInt(10);
                    text.append(escape(from, "]\\^-[")).append('-').append(escape(to, "]\\^-["));
                    members.add(c -> c >= from && c <= to);
                }
                case 1 -> {
                    CharSet escape = classEscape();
                    text.append(escape.text());
                    members.add(escape.contains());
                }
                default -> {
                    int c = POOL[random.nextInt(POOL.length)];
                    text.append(escape(c, "]\\^-["));
                    members.add(x -> x == c);
                }
            }
        }
        IntPredicate any = c -> members.stream().anyMatch(m -> m.test(c));
        return new CharSet(text.append(']').toString(), negated ? any.negate() : any);
    }

    private static String sequenceText(List<Node> sequence) {
        StringBuilder out = new StringBuilder();
        sequence.forEach(n -> out.append(n.text()));
        return out.toString();
    }

    /** A character as pattern text: escaped when special, control characters as hex escapes. */
    private static String escape(int c, String special) {
        if (c < 0x20 || c == 0x7F) {
            return String.format("\\x%02X", c);
        }
        return special.indexOf(c) >= 0 ? "\\" + (char) c : Character.toString(c);
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isWord(int c) {
        return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isSpace(int c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
