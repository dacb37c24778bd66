package dev.edgelm.generate.grammar;

import dev.edgelm.generate.grammar.Syntax.CharClass;
import dev.edgelm.generate.grammar.Syntax.Group;
import dev.edgelm.generate.grammar.Syntax.Item;
import dev.edgelm.generate.grammar.Syntax.Literal;
import dev.edgelm.generate.grammar.Syntax.Repeat;
import dev.edgelm.generate.grammar.Syntax.Rule;
import dev.edgelm.generate.grammar.Syntax.RuleRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads GBNF, llama.cpp's grammar format (its {@code grammars/README.md}), into {@link Syntax}. Recursive descent
 * over the text, with llama.cpp's layout rules: a rule ends at the end of its line unless the line ends with
 * {@code |} or a group is still open; spaces, tabs and {@code #} comments separate items anywhere.
 *
 * <p>Two deliberate differences, both for clearer errors: a raw line break inside a string or a class is an error
 * (llama.cpp takes it as a character, so a missing quote swallows the rest of the grammar), and so is a rule
 * defined twice (llama.cpp keeps the last). Token references ({@code <think>}, {@code <[123]>}) are not supported.
 */
final class GbnfParser {
    private static final String ITEMS = "a string \"...\", a class [...], a rule name, '(', '.' or a repetition"
            + " (* + ? {m,n})";

    private final GbnfSource source;
    private final String text;
    private int pos;
    /** Where the rule being read starts. */
    private int ruleStart;

    private GbnfParser(GbnfSource source) {
        this.source = source;
        this.text = source.text();
    }

    /**
     * The rules of {@code source}, in order.
     *
     * @throws GrammarException at the first syntax error, with its line and column
     */
    static List<Rule> parse(GbnfSource source) {
        return new GbnfParser(source).grammar();
    }

    private List<Rule> grammar() {
        List<Rule> rules = new ArrayList<>();
        skipSpace(true);
        while (pos < text.length()) {
            rules.add(rule());
        }
        return rules;
    }

    private Rule rule() {
        int start = pos;
        ruleStart = pos;
        if (!isNameChar(peek())) {
            throw source.error(pos, peek() == '|'
                    ? "a line cannot start with '|': end the line before with '|' to continue a rule on the next line"
                    : "expected a rule name (letters, digits and '-') at the start of a rule, found " + found());
        }
        String name = name();
        skipSpace(false);
        if (!text.startsWith("::=", pos)) {
            throw source.error(pos, "expected '::=' after the rule name '" + name + "', found " + found());
        }
        pos += 3;
        skipSpace(true);
        List<List<Item>> alternatives = alternatives(false);
        if (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != '\n' && c != '\r') {
                throw unexpected(false);
            }
            pos++;
        }
        skipSpace(true);
        return new Rule(name, alternatives, start);
    }

    private List<List<Item>> alternatives(boolean nested) {
        List<List<Item>> alternatives = new ArrayList<>();
        alternatives.add(sequence(nested));
        while (peek() == '|') {
            pos++;
            skipSpace(true);
            alternatives.add(sequence(nested));
        }
        return alternatives;
    }

    /** Items up to the first character that cannot start or repeat one; the caller decides what may come next. */
    private List<Item> sequence(boolean nested) {
        List<Item> items = new ArrayList<>();
        while (pos < text.length()) {
            int start = pos;
            char c = text.charAt(pos);
            if (c == '*' || c == '+' || c == '?' || c == '{') {
                if (items.isEmpty()) {
                    throw source.error(start, "'" + c + "' must follow the item it repeats");
                }
                items.add(repetition(items.removeLast(), nested));
            } else if (c == '"') {
                items.add(literal());
            } else if (c == '[') {
                items.add(charClass());
            } else if (c == '(') {
                items.add(group());
            } else if (c == '.') {
                pos++;
                items.add(new CharClass(CodePointSet.ALL, start));
            } else if (isNameChar(c)) {
                items.add(new RuleRef(name(), start));
            } else if (c == '<' || c == '!') {
                throw source.error(start, "token references such as <think> or <[123]> are not supported: write the"
                        + " text as a string literal");
            } else {
                break;
            }
            skipSpace(nested);
        }
        return items;
    }

    private Item group() {
        int start = pos++;
        skipSpace(true);
        List<List<Item>> alternatives = alternatives(true);
        if (pos >= text.length()) {
            throw source.error(pos, "expected ')' to close the '(' at " + source.position(start)
                    + ", found the end of the grammar");
        }
        if (text.charAt(pos) != ')') {
            throw unexpected(true);
        }
        pos++;
        return new Group(alternatives, start);
    }

    private Item repetition(Item item, boolean nested) {
        int start = pos;
        char c = text.charAt(pos++);
        switch (c) {
            case '*' -> {
                return new Repeat(item, 0, Syntax.UNBOUNDED, start);
            }
            case '+' -> {
                return new Repeat(item, 1, Syntax.UNBOUNDED, start);
            }
            case '?' -> {
                return new Repeat(item, 0, 1, start);
            }
            default -> { }
        }
        skipSpace(nested);
        long min = peek() == ',' ? 0 : integer(start);
        skipSpace(nested);
        long max;
        if (peek() == '}') {
            max = min;
        } else if (peek() == ',') {
            pos++;
            skipSpace(nested);
            max = isDigit(peek()) ? integer(start) : Syntax.UNBOUNDED;
            skipSpace(nested);
            if (peek() != '}') {
                throw source.error(pos, "expected '}' to close the repetition at " + source.position(start)
                        + ", found " + found());
            }
        } else {
            throw source.error(pos, "expected ',' or '}' in the repetition at " + source.position(start) + ", found "
                    + found());
        }
        pos++;
        if (max != Syntax.UNBOUNDED && min > max) {
            throw source.error(start, "repetition " + text.substring(start, pos) + ": the minimum " + min
                    + " is greater than the maximum " + max);
        }
        return new Repeat(item, min, max, start);
    }

    private long integer(int repetitionStart) {
        int start = pos;
        while (isDigit(peek())) {
            pos++;
        }
        if (pos == start) {
            throw source.error(pos, "expected a number in the repetition at " + source.position(repetitionStart)
                    + ", found " + found());
        }
        if (pos - start > 9) {
            throw source.error(start, "repetition count " + text.substring(start, pos) + " is too large");
        }
        return Long.parseLong(text.substring(start, pos));
    }

    private Item literal() {
        int start = pos++;
        List<Integer> codePoints = new ArrayList<>();
        while (true) {
            if (pos >= text.length()) {
                throw source.error(start, "unterminated string: expected '\"' to close it, found the end of the"
                        + " grammar");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return new Literal(codePoints.stream().mapToInt(Integer::intValue).toArray(), start);
            }
            if (c == '\n' || c == '\r') {
                throw source.error(start, "unterminated string: expected '\"' before the end of the line (write a"
                        + " line break as \\n)");
            }
            codePoints.add(character());
        }
    }

    private Item charClass() {
        int start = pos++;
        boolean negated = peek() == '^';
        if (negated) {
            pos++;
        }
        List<Integer> pairs = new ArrayList<>();
        while (true) {
            requireClassContinues(start);
            if (text.charAt(pos) == ']') {
                pos++;
                break;
            }
            int from = pos;
            int lo = character();
            int hi = lo;
            if (peek() == '-' && pos + 1 < text.length() && text.charAt(pos + 1) != ']') {
                pos++;
                requireClassContinues(start);
                hi = character();
                if (hi < lo) {
                    throw source.error(from, "empty range " + text.substring(from, pos) + " in a character class:"
                            + " its end comes before its start");
                }
            }
            pairs.add(lo);
            pairs.add(hi);
        }
        if (pairs.isEmpty()) {
            throw source.error(start, negated ? "empty character class [^] (write . for any character)"
                    : "empty character class [] matches nothing");
        }
        CodePointSet set = CodePointSet.ofRanges(pairs.stream().mapToInt(Integer::intValue).toArray());
        if (negated) {
            set = set.complement();
            if (set.isEmpty()) {
                throw source.error(start, "character class " + text.substring(start, pos)
                        + " excludes every character, so it matches nothing");
            }
        }
        return new CharClass(set, start);
    }

    private void requireClassContinues(int start) {
        if (pos >= text.length()) {
            throw source.error(start, "unterminated character class: expected ']' to close it, found the end of the"
                    + " grammar");
        }
        char c = text.charAt(pos);
        if (c == '\n' || c == '\r') {
            throw source.error(start, "unterminated character class: expected ']' before the end of the line (write"
                    + " a line break as \\n)");
        }
    }

    /** One character of a string or class: an escape, or a code point as written. */
    private int character() {
        if (text.charAt(pos) != '\\') {
            int c = text.codePointAt(pos);
            pos += Character.charCount(c);
            return c;
        }
        int start = pos;
        if (pos + 1 >= text.length()) {
            throw source.error(start, "unterminated escape '\\' at the end of the grammar");
        }
        char c = text.charAt(pos + 1);
        pos += 2;
        return switch (c) {
            case 'x' -> hex(start, 2);
            case 'u' -> hex(start, 4);
            case 'U' -> hex(start, 8);
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '\\', '"', '[', ']', '-' -> c;
            default -> throw source.error(start, "unknown escape '\\" + Character.toString(text.codePointAt(start + 1))
                    + "' (GBNF has \\n \\r \\t \\\\ \\\" \\[ \\] \\- \\xHH \\uHHHH \\UHHHHHHHH)");
        };
    }

    private int hex(int start, int digits) {
        char kind = text.charAt(start + 1);
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int digit = pos < text.length() ? hexDigit(text.charAt(pos)) : -1;
            if (digit < 0) {
                String found = pos < text.length() ? "'" + text.substring(start, pos + 1) + "'"
                        : "the end of the grammar";
                throw source.error(start, "escape '\\" + kind + "' needs exactly " + digits + " hex digits, found "
                        + found);
            }
            value = value * 16 + digit;
            pos++;
        }
        if (Integer.compareUnsigned(value, Character.MAX_CODE_POINT) > 0) {
            throw source.error(start, "escape " + text.substring(start, pos) + " is beyond the last code point"
                    + " U+10FFFF");
        }
        if (value >= 0xD800 && value <= 0xDFFF) {
            throw source.error(start, "escape " + text.substring(start, pos) + " is a surrogate, not a character");
        }
        return value;
    }

    private String name() {
        int start = pos;
        while (isNameChar(peek())) {
            pos++;
        }
        return text.substring(start, pos);
    }

    /** What may not come here, and what could have. */
    private GrammarException unexpected(boolean nested) {
        if (text.startsWith("::=", pos)) {
            return source.error(pos, text.substring(ruleStart, pos).indexOf('\n') < 0
                    ? "unexpected '::=': a rule must start on a line of its own"
                    : "unexpected '::=': this line continues the rule before it (that rule's last line ends with '|'"
                            + " or leaves a '(' open)");
        }
        char c = text.charAt(pos);
        String hint = c == '_' && pos > 0 && isNameChar(text.charAt(pos - 1))
                ? " (rule names are letters, digits and '-')" : "";
        String expected = nested ? ITEMS + ", '|' or ')'" : ITEMS + ", '|' or the end of the line";
        if (c == ')' && !nested) {
            return source.error(pos, "unexpected ')': no '(' is open");
        }
        return source.error(pos, "unexpected " + found() + hint + ": expected " + expected);
    }

    /** The character at {@code pos}, quoted, for a message. */
    private String found() {
        if (pos >= text.length()) {
            return "the end of the grammar";
        }
        int c = text.codePointAt(pos);
        return c == '\n' || c == '\r' ? "the end of the line" : "'" + CodePointSet.escape(c, '\'') + "'";
    }

    /** Skips spaces, tabs and comments, and line breaks too where a rule may go on over several lines. */
    private void skipSpace(boolean newlines) {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
                pos++;
            } else {
                return;
            }
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static int hexDigit(char c) {
        if (isDigit(c)) {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '-';
    }
}
