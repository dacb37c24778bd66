package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * A random grammar without recursion, written both as GBNF (in a random layout: escapes, comments, line breaks,
 * helper rules in any order) and as an equivalent Java regular expression, which serves as the reference matcher;
 * plus random sentences of it and near misses.
 *
 * @param gbnf  the grammar
 * @param regex the same language
 * @param root  the tree, to sample sentences from
 */
record RandomGrammar(String gbnf, Pattern regex, Node root) {
    /** The characters texts are made of: ASCII, GBNF's special characters, and 2-, 3- and 4-byte UTF-8. */
    static final int[] ALPHABET = {'a', 'b', 'c', '0', '1', '"', '\\', '-', ']', '[', '^', '\n', ' ', 'é', 'ぁ', 0x1F600};

    /** A grammar of about {@code size} nodes, from {@code random}. */
    static RandomGrammar generate(SplittableRandom random, int size) {
        List<Node> rules = new ArrayList<>();
        List<String> definitions = new ArrayList<>();
        int helpers = random.nextInt(3);
        for (int i = 0; i < helpers; i++) {
            Node body = node(random, size / 2 + 1, rules, 0);
            rules.add(new Ref("rule-" + i, body));
            definitions.add("rule-" + i + " ::= " + body.gbnf(random, true) + comment(random) + "\n");
        }
        Node root = node(random, size, rules, 0);
        definitions.add(random.nextInt(definitions.size() + 1), "root ::=" + (random.nextBoolean() ? "\n  " : " ")
                + root.gbnf(random, true) + comment(random) + "\n");
        String gbnf = (random.nextInt(4) == 0 ? "# random grammar\n\n" : "") + String.join("", definitions);
        return new RandomGrammar(gbnf, Pattern.compile(root.regex(), Pattern.DOTALL), root);
    }

    /** A sentence of the grammar. */
    String sentence(SplittableRandom random) {
        StringBuilder out = new StringBuilder();
        root.sample(random, out);
        return out.toString();
    }

    /** A sentence with a few random insertions, deletions and replacements (by code point). */
    String nearMiss(SplittableRandom random) {
        List<Integer> cps = new ArrayList<>(sentence(random).codePoints().boxed().toList());
        for (int edits = random.nextInt(1, 3); edits > 0; edits--) {
            int at = cps.isEmpty() ? 0 : random.nextInt(cps.size() + 1);
            switch (random.nextInt(3)) {
                case 0 -> cps.add(at, letter(random));
                case 1 -> {
                    if (at < cps.size()) {
                        cps.remove(at);
                    }
                }
                default -> {
                    if (at < cps.size()) {
                        cps.set(at, letter(random));
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder();
        cps.forEach(out::appendCodePoint);
        return out.toString();
    }

    static int letter(SplittableRandom random) {
        return ALPHABET[random.nextInt(ALPHABET.length)];
    }

    private static String comment(SplittableRandom random) {
        return random.nextInt(4) == 0 ? " # note | ( \" [" : "";
    }

    private static Node node(SplittableRandom random, int size, List<Node> rules, int depth) {
        int kind = size <= 1 || depth > 3 ? random.nextInt(4) : random.nextInt(8);
        return switch (kind) {
            case 0 -> {
                StringBuilder text = new StringBuilder();
                for (int n = random.nextInt(4); n > 0; n--) {
                    text.appendCodePoint(letter(random));
                }
                yield new Literal(text.toString());
            }
            case 1, 2 -> charClass(random);
            case 3 -> rules.isEmpty() || random.nextBoolean() ? new Any() : rules.get(random.nextInt(rules.size()));
            case 4, 5 -> {
                List<Node> items = new ArrayList<>();
                for (int n = random.nextInt(1, 4); n > 0; n--) {
                    items.add(node(random, size / 2, rules, depth + 1));
                }
                yield random.nextBoolean() ? new Sequence(items) : new Alternatives(items);
            }
            default -> {
                int min = random.nextInt(3);
                int max = switch (random.nextInt(3)) {
                    case 0 -> -1;
                    case 1 -> min;
                    default -> min + random.nextInt(3);
                };
                yield new Repeat(node(random, size / 2, rules, depth + 1), min, max);
            }
        };
    }

    private static Node charClass(SplittableRandom random) {
        List<int[]> ranges = new ArrayList<>();
        for (int n = random.nextInt(1, 4); n > 0; n--) {
            int a = letter(random);
            int b = random.nextInt(3) == 0 ? letter(random) : a;
            ranges.add(new int[] {Math.min(a, b), Math.max(a, b)});
        }
        boolean negated = random.nextInt(3) == 0;
        return new CharClassNode(ranges, negated);
    }

    /** A node of the tree: its GBNF (as one item when {@code whole} is false), its regex, and a sampler. */
    sealed interface Node {
        String gbnf(SplittableRandom random, boolean whole);

        String regex();

        void sample(SplittableRandom random, StringBuilder out);
    }

    record Literal(String text) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            StringBuilder out = new StringBuilder("\"");
            text.codePoints().forEach(c -> out.append(escape(random, c, '"')));
            return out.append('"').toString();
        }

        @Override
        public String regex() {
            StringBuilder out = new StringBuilder("(?:");
            text.codePoints().forEach(c -> out.append(String.format("\\x{%X}", c)));
            return out.append(')').toString();
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            out.append(text);
        }
    }

    record CharClassNode(List<int[]> ranges, boolean negated) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            StringBuilder out = new StringBuilder(negated ? "[^" : "[");
            for (int[] r : ranges) {
                out.append(escape(random, r[0], ']'));
                if (r[1] != r[0]) {
                    out.append('-').append(escape(random, r[1], ']'));
                }
            }
            return out.append(']').toString();
        }

        @Override
        public String regex() {
            StringBuilder out = new StringBuilder(negated ? "[^" : "[");
            for (int[] r : ranges) {
                out.append(String.format("\\x{%X}-\\x{%X}", r[0], r[1]));
            }
            return out.append(']').toString();
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            for (int attempt = 0; attempt < 100; attempt++) {
                int c = negated ? letter(random) : randomIn(random, ranges.get(random.nextInt(ranges.size())));
                boolean inside = ranges.stream().anyMatch(r -> r[0] <= c && c <= r[1]);
                if (inside != negated) {
                    out.appendCodePoint(c);
                    return;
                }
            }
            out.appendCodePoint(negated ? 'Z' : ranges.getFirst()[0]); // 'Z' is outside the alphabet
        }

        private static int randomIn(SplittableRandom random, int[] range) {
            int c = random.nextInt(range[0], range[1] + 1);
            return c >= 0xD800 && c <= 0xDFFF ? range[0] : c;
        }
    }

    record Any() implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            return ".";
        }

        @Override
        public String regex() {
            return "[\\x{0}-\\x{10FFFF}]";
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            out.appendCodePoint(letter(random));
        }
    }

    record Ref(String name, Node body) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            return name;
        }

        @Override
        public String regex() {
            return "(?:" + body.regex() + ")";
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            body.sample(random, out);
        }
    }

    record Sequence(List<Node> items) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            List<String> parts = new ArrayList<>();
            for (Node item : items) {
                parts.add(item.gbnf(random, false));
            }
            String body = String.join(random.nextBoolean() ? " " : "  \t", parts);
            return whole ? body : "(" + (random.nextBoolean() ? "\n  " : " ") + body + " )";
        }

        @Override
        public String regex() {
            StringBuilder out = new StringBuilder("(?:");
            items.forEach(i -> out.append(i.regex()));
            return out.append(')').toString();
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            items.forEach(i -> i.sample(random, out));
        }
    }

    record Alternatives(List<Node> items) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            List<String> parts = new ArrayList<>();
            for (Node item : items) {
                parts.add(item.gbnf(random, false));
            }
            // At the top of a rule a line break may follow '|'; inside a group it may come anywhere.
            String body = String.join(random.nextBoolean() ? " |\n    " : " | ", parts);
            return whole ? body : "(" + body + (random.nextBoolean() ? "\n" : "") + ")";
        }

        @Override
        public String regex() {
            List<String> parts = new ArrayList<>();
            items.forEach(i -> parts.add(i.regex()));
            return "(?:" + String.join("|", parts) + ")";
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            items.get(random.nextInt(items.size())).sample(random, out);
        }
    }

    record Repeat(Node item, int min, int max) implements Node {
        @Override
        public String gbnf(SplittableRandom random, boolean whole) {
            String operand = item.gbnf(random, false);
            if (item instanceof Repeat) {
                operand = "(" + operand + ")";
            }
            String operator;
            if (max < 0) {
                operator = min == 0 && random.nextBoolean() ? "*" : min == 1 && random.nextBoolean() ? "+"
                        : "{" + min + ",}";
            } else if (min == max) {
                operator = "{" + min + "}";
            } else if (min == 0 && max == 1 && random.nextBoolean()) {
                operator = "?";
            } else {
                operator = min == 0 && random.nextBoolean() ? "{," + max + "}" : "{" + min + "," + max + "}";
            }
            return operand + operator;
        }

        @Override
        public String regex() {
            return "(?:" + item.regex() + "){" + min + "," + (max < 0 ? "" : max) + "}";
        }

        @Override
        public void sample(SplittableRandom random, StringBuilder out) {
            int n = max < 0 ? min + random.nextInt(3) : random.nextInt(min, max + 1);
            for (int i = 0; i < n; i++) {
                item.sample(random, out);
            }
        }
    }

    /** Code point {@code c} inside a GBNF string ({@code quote '"'}) or class ({@code ']'}), escaped at random. */
    static String escape(SplittableRandom random, int c, char quote) {
        if (c == quote || c == '\\' || (quote == ']' && (c == '-' || c == '['))) {
            return "\\" + (char) c;
        }
        if (c == '\n') {
            return "\\n";
        }
        if (quote == ']' && c == '^') {
            return "\\x5E";
        }
        return switch (random.nextInt(5)) {
            case 0 -> c <= 0xFF ? String.format("\\x%02x", c) : Character.toString(c);
            case 1 -> c <= 0xFFFF ? String.format("\\u%04X", c) : Character.toString(c);
            case 2 -> String.format("\\U%08x", c);
            default -> Character.toString(c);
        };
    }
}
