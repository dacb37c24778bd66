package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates a JSON Schema {@code pattern} (a simple regular expression) into a grammar over the JSON text of the
 * strings it matches whole. Generating whole matches is sound for JSON Schema's unanchored search: a string that
 * matches the whole pattern also contains a match. Only constructs that mean the same in ECMA-262 (the regex
 * dialect JSON Schema names) and in {@link java.util.regex} are accepted; anything else is an error naming the
 * construct, never a looser grammar.
 *
 * <p>The subset: literals and escaped metacharacters, {@code .} (not a line terminator), classes {@code [...]} with
 * ranges and negation, {@code \d \w \s} and their negations, <code>\t \n \r \f \xHH &#92;uHHHH</code>, groups
 * {@code (...)} and {@code (?:...)}, alternation, the quantifiers {@code * + ? {m} {m,} {m,n}}, and
 * {@code ^}/{@code $} at the start/end of the pattern or of a top-level alternative.
 */
final class RegexTranslator {
    /** The largest repetition count accepted, to keep grammars small. */
    static final int MAX_REPEAT = 10_000;
    /** What a part that matches no string (such as an empty class) translates to. */
    private static final StringShape NOTHING = new StringShape(GbnfExpr.EMPTY, 0, 0);

    private static final CodePointSet DIGITS = CodePointSet.range('0', '9');
    private static final CodePointSet WORD = DIGITS.union(CodePointSet.range('a', 'z'))
            .union(CodePointSet.range('A', 'Z')).union(CodePointSet.of('_'));
    /** ASCII white space: what {@code \s} means both in Java and (among other characters) in ECMA-262. */
    private static final CodePointSet SPACE = CodePointSet.of(" \t\n\u000B\f\r");
    /** {@code .} matches any code point but a line terminator (the union of Java's and ECMA-262's). */
    private static final CodePointSet DOT = CodePointSet.ALL.minus(CodePointSet.of("\n\r\u0085\u2028\u2029"));
    private static final String METACHARACTERS = "\\^$.|?*+()[]{}/-";

    private final String pattern;
    private final String pointer;
    private final int[] chars;
    private int pos;

    private RegexTranslator(String pattern, String pointer) {
        this.pattern = pattern;
        this.pointer = pointer;
        this.chars = pattern.codePoints().toArray();
    }

    /**
     * Translates a pattern.
     *
     * @param pointer where the pattern is in the schema, for error messages
     * @throws GrammarException if the pattern is invalid or outside the subset
     */
    static StringShape translate(String pattern, String pointer) {
        try {
            Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new GrammarException("at " + pointer + ": pattern " + quote(pattern) + " is not a valid regular "
                    + "expression: " + e.getDescription());
        }
        RegexTranslator translator = new RegexTranslator(pattern, pointer);
        StringShape translation = translator.alternation(0);
        if (translator.pos < translator.chars.length) {
            throw translator.unsupported("unbalanced ')'");
        }
        if (translation == NOTHING) {
            throw new GrammarException("at " + pointer + ": pattern " + quote(pattern) + " matches no string that "
                    + "JSON text can hold");
        }
        return translation;
    }

    private StringShape alternation(int depth) {
        List<StringShape> branches = new ArrayList<>();
        branches.add(sequence(depth));
        while (more() && peek() == '|') {
            pos++;
            branches.add(sequence(depth));
        }
        branches.removeIf(b -> b == NOTHING);
        if (branches.isEmpty()) {
            return NOTHING;
        }
        if (branches.size() == 1) {
            return branches.getFirst();
        }
        int min = Integer.MAX_VALUE;
        int max = 0;
        List<GbnfExpr> options = new ArrayList<>();
        for (StringShape branch : branches) {
            options.add(branch.grammar());
            min = Math.min(min, branch.minLength());
            max = max < 0 || branch.maxLength() < 0 ? -1 : Math.max(max, branch.maxLength());
        }
        return new StringShape(GbnfExpr.alt(options), min, max);
    }

    private StringShape sequence(int depth) {
        if (depth == 0 && more() && peek() == '^') {
            pos++;
        }
        List<GbnfExpr> items = new ArrayList<>();
        int min = 0;
        int max = 0;
        boolean nothing = false;
        while (more() && peek() != '|' && peek() != ')') {
            if (peek() == '$' && depth == 0 && (pos + 1 == chars.length || chars[pos + 1] == '|')) {
                pos++;
                break;
            }
            StringShape item = quantified(atom(depth));
            nothing |= item == NOTHING;
            items.add(item.grammar());
            min = saturatedAdd(min, item.minLength());
            max = max < 0 || item.maxLength() < 0 ? -1 : saturatedAdd(max, item.maxLength());
        }
        return nothing ? NOTHING : new StringShape(GbnfExpr.seq(items), min, max);
    }

    private StringShape atom(int depth) {
        int c = chars[pos++];
        return switch (c) {
            case '(' -> group(depth);
            case '[' -> single(characterClass());
            case '.' -> single(DOT);
            case '\\' -> single(escape(false));
            case '^', '$' -> throw unsupported("anchor '" + (char) c + "' inside the pattern");
            case '*', '+', '?', '{' -> throw unsupported("'" + (char) c + "' with nothing to repeat (escape it as \\"
                    + (char) c + ")");
            case ']', '}' -> throw unsupported("unescaped '" + (char) c + "' (escape it as \\" + (char) c + ")");
            default -> single(CodePointSet.of(c));
        };
    }

    private StringShape group(int depth) {
        if (more() && peek() == '?') {
            if (pos + 1 < chars.length && chars[pos + 1] == ':') {
                pos += 2;
            } else {
                String construct = pattern.substring(pattern.offsetByCodePoints(0, pos - 1),
                        pattern.offsetByCodePoints(0, Math.min(chars.length, pos + 2)));
                throw unsupported("group syntax '" + construct + "' (lookaround, named group or flags)");
            }
        }
        StringShape inner = alternation(depth + 1);
        if (!more() || peek() != ')') {
            throw unsupported("unbalanced '('");
        }
        pos++;
        return inner;
    }

    private StringShape quantified(StringShape atom) {
        if (!more()) {
            return atom;
        }
        int min;
        int max;
        switch (peek()) {
            case '*' -> {
                min = 0;
                max = -1;
            }
            case '+' -> {
                min = 1;
                max = -1;
            }
            case '?' -> {
                min = 0;
                max = 1;
            }
            case '{' -> {
                int close = pos;
                while (close < chars.length && chars[close] != '}') {
                    close++;
                }
                String body = close < chars.length ? new String(chars, pos + 1, close - pos - 1) : "";
                if (!body.matches("\\d+(,\\d*)?")) {
                    throw unsupported("'{' that is not a quantifier {m}, {m,} or {m,n} (escape it as \\{)");
                }
                String[] parts = body.split(",", -1);
                min = count(parts[0]);
                max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : count(parts[1]);
                if (max >= 0 && max < min) {
                    throw unsupported("quantifier {" + body + "} with its maximum below its minimum");
                }
                pos = close;
            }
            default -> {
                return atom;
            }
        }
        pos++;
        if (more() && (peek() == '?' || peek() == '+')) {
            throw unsupported("lazy or possessive quantifier '" + (char) chars[pos - 1] + (char) peek() + "'");
        }
        if (atom == NOTHING) {
            return min == 0 ? new StringShape(GbnfExpr.EMPTY, 0, 0) : NOTHING;
        }
        int minLength = saturatedMultiply(atom.minLength(), min);
        int maxLength = max < 0 || atom.maxLength() < 0 ? (atom.maxLength() == 0 ? 0 : -1)
                : saturatedMultiply(atom.maxLength(), max);
        return new StringShape(GbnfExpr.repeat(atom.grammar(), min, max), minLength, maxLength);
    }

    private int count(String digits) {
        if (digits.length() > 5 || Integer.parseInt(digits) > MAX_REPEAT) {
            throw unsupported("repetition count " + digits + " (at most " + MAX_REPEAT + ")");
        }
        return Integer.parseInt(digits);
    }

    /** A class after its '['. */
    private CodePointSet characterClass() {
        boolean negated = more() && peek() == '^';
        if (negated) {
            pos++;
        }
        if (more() && peek() == ']') {
            throw unsupported("empty class '[]' or ']' first in a class (escape it as \\])");
        }
        CodePointSet set = CodePointSet.EMPTY;
        while (true) {
            if (!more()) {
                throw unsupported("unterminated class '['");
            }
            int c = chars[pos];
            if (c == ']') {
                pos++;
                break;
            }
            if (c == '[' || (c == '&' && pos + 1 < chars.length && chars[pos + 1] == '&')) {
                throw unsupported("nested class or class intersection ('[' or '&&' inside a class)");
            }
            CodePointSet item = classItem();
            if (item.size() != 1 && pos + 1 < chars.length && chars[pos] == '-' && chars[pos + 1] != ']') {
                throw unsupported("class range starting at a class escape");
            }
            boolean range = item.size() == 1 && pos + 1 < chars.length && chars[pos] == '-' && chars[pos + 1] != ']';
            if (range) {
                pos++;
                CodePointSet end = classItem();
                if (end.size() != 1) {
                    throw unsupported("class range ending in a class escape");
                }
                if (end.first() < item.first()) {
                    throw unsupported("class range out of order");
                }
                item = CodePointSet.range(item.first(), end.first());
            }
            set = set.union(item);
        }
        return negated ? set.complement() : set;
    }

    private CodePointSet classItem() {
        int c = chars[pos++];
        return c == '\\' ? escape(true) : CodePointSet.of(c);
    }

    /** An escape after its backslash: one character or a class escape. */
    private CodePointSet escape(boolean inClass) {
        if (!more()) {
            throw unsupported("trailing backslash");
        }
        int c = chars[pos++];
        return switch (c) {
            case 'd' -> DIGITS;
            case 'D' -> DIGITS.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> SPACE;
            case 'S' -> SPACE.complement();
            case 't' -> CodePointSet.of('\t');
            case 'n' -> CodePointSet.of('\n');
            case 'r' -> CodePointSet.of('\r');
            case 'f' -> CodePointSet.of('\f');
            case 'x' -> CodePointSet.of(hex(2));
            case 'u' -> CodePointSet.of(hex(4));
            case 'b', 'B' -> throw unsupported(inClass ? "'\\b' inside a class" : "word boundary '\\" + (char) c + "'");
            default -> {
                if (c >= '0' && c <= '9') {
                    throw unsupported("'\\" + (char) c + "' (back-reference or octal escape)");
                }
                if (METACHARACTERS.indexOf(c) < 0) {
                    throw unsupported("escape '\\" + Character.toString(c) + "'");
                }
                yield CodePointSet.of(c);
            }
        };
    }

    private int hex(int digits) {
        if (pos + digits > chars.length) {
            throw unsupported("incomplete hex escape");
        }
        String text = new String(chars, pos, digits);
        if (!text.matches("[0-9a-fA-F]+")) {
            throw unsupported("malformed hex escape");
        }
        pos += digits;
        return Integer.parseInt(text, 16);
    }

    /** One character from the set, as JSON text. */
    private StringShape single(CodePointSet set) {
        CodePointSet encodable = set.intersect(JsonStrings.ENCODABLE);
        return encodable.isEmpty() ? NOTHING : new StringShape(JsonStrings.encodedChar(encodable), 1, 1);
    }

    private boolean more() {
        return pos < chars.length;
    }

    private int peek() {
        return chars[pos];
    }

    private GrammarException unsupported(String construct) {
        return new GrammarException("at " + pointer + ": pattern " + quote(pattern) + ": " + construct
                + " is not supported");
    }

    private static String quote(String pattern) {
        return "\"" + pattern.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static int saturatedAdd(int a, int b) {
        return (int) Math.min(Integer.MAX_VALUE, (long) a + b);
    }

    private static int saturatedMultiply(int a, int b) {
        return (int) Math.min(Integer.MAX_VALUE, (long) a * b);
    }
}
