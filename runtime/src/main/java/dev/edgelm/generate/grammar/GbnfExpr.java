package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A GBNF expression as the JSON Schema converter builds it, rendered to llama.cpp's GBNF text by {@link #render()}.
 * The factory methods normalise as they build (flat sequences, merged literals, no empty alternatives), so that the
 * empty language never appears and the empty string only as an optional part or a whole sequence.
 */
sealed interface GbnfExpr {

    /** The empty string. */
    GbnfExpr EMPTY = new Seq(List.of());

    /** A literal text, never empty. */
    record Literal(String text) implements GbnfExpr {
    }

    /** One code point from a set. */
    record CharClass(CodePointSet set) implements GbnfExpr {
    }

    /** Items one after the other; no item is itself a sequence, and the empty sequence is the empty string. */
    record Seq(List<GbnfExpr> items) implements GbnfExpr {
    }

    /** Any one of two or more options, none of them empty or itself an alternative. */
    record Alt(List<GbnfExpr> options) implements GbnfExpr {
    }

    /** The item {@code min} to {@code max} times; {@code max} is {@link #UNBOUNDED} for no limit. */
    record Repeat(GbnfExpr item, int min, int max) implements GbnfExpr {
        static final int UNBOUNDED = -1;
    }

    /** A reference to a named rule. */
    record RuleRef(String name) implements GbnfExpr {
    }

    static GbnfExpr literal(String text) {
        return text.isEmpty() ? EMPTY : new Literal(text);
    }

    static GbnfExpr chars(CodePointSet set) {
        if (set.isEmpty()) {
            throw new IllegalArgumentException("empty character class");
        }
        return set.size() == 1 ? new Literal(Character.toString(set.first())) : new CharClass(set);
    }

    /** The items in order, flattened, with adjacent literals merged. */
    static GbnfExpr seq(GbnfExpr... items) {
        return seq(List.of(items));
    }

    static GbnfExpr seq(List<GbnfExpr> items) {
        List<GbnfExpr> flat = new ArrayList<>();
        for (GbnfExpr item : items) {
            for (GbnfExpr part : item instanceof Seq s ? s.items() : List.of(item)) {
                if (part instanceof Literal l && !flat.isEmpty() && flat.getLast() instanceof Literal last) {
                    flat.set(flat.size() - 1, new Literal(last.text() + l.text()));
                } else {
                    flat.add(part);
                }
            }
        }
        return flat.size() == 1 ? flat.getFirst() : new Seq(List.copyOf(flat));
    }

    /** Any one of the options (at least one), flattened and without duplicates; an empty option makes it optional. */
    static GbnfExpr alt(List<GbnfExpr> options) {
        LinkedHashSet<GbnfExpr> flat = new LinkedHashSet<>();
        boolean optional = false;
        for (GbnfExpr option : options) {
            if (option.equals(EMPTY)) {
                optional = true;
            } else if (option instanceof Repeat r && r.min() == 0 && r.max() == 1) {
                optional = true;
                flat.addAll(r.item() instanceof Alt a ? a.options() : List.of(r.item()));
            } else {
                flat.addAll(option instanceof Alt a ? a.options() : List.of(option));
            }
        }
        if (flat.isEmpty()) {
            if (!optional) {
                throw new IllegalArgumentException("an alternative needs at least one option");
            }
            return EMPTY;
        }
        GbnfExpr choice = flat.size() == 1 ? flat.getFirst() : new Alt(List.copyOf(flat));
        return optional ? optional(choice) : choice;
    }

    static GbnfExpr alt(GbnfExpr... options) {
        return alt(List.of(options));
    }

    static GbnfExpr optional(GbnfExpr item) {
        return repeat(item, 0, 1);
    }

    /** The item min to max times ({@link Repeat#UNBOUNDED} for no limit). */
    static GbnfExpr repeat(GbnfExpr item, int min, int max) {
        if (min < 0 || (max != Repeat.UNBOUNDED && max < min)) {
            throw new IllegalArgumentException("bad repetition {" + min + "," + max + "}");
        }
        if (max == 0 || item.equals(EMPTY)) {
            return EMPTY;
        }
        if (min == 1 && max == 1) {
            return item;
        }
        if (item instanceof Literal l && min == max) {
            return new Literal(l.text().repeat(min));
        }
        if (min == 0 && max == 1 && item instanceof Repeat r && r.min() <= 1) {
            return repeat(r.item(), 0, r.max());
        }
        return new Repeat(item, min, max);
    }

    /** The GBNF text of this expression as the body of a rule. */
    default String render() {
        StringBuilder out = new StringBuilder();
        write(this, out, false);
        return out.toString();
    }

    /** Writes an expression; grouped means it stands inside a sequence or before a repetition suffix. */
    private static void write(GbnfExpr expr, StringBuilder out, boolean grouped) {
        switch (expr) {
            case Literal l -> writeLiteral(l.text(), out);
            case CharClass c -> writeClass(c.set(), out);
            case RuleRef r -> out.append(r.name());
            case Seq s when s.items().isEmpty() -> out.append("\"\"");
            case Seq s -> writeJoined(s.items(), " ", out, grouped);
            case Alt a -> writeJoined(a.options(), " | ", out, grouped);
            case Repeat r -> {
                if (r.item() instanceof Literal || r.item() instanceof CharClass || r.item() instanceof RuleRef) {
                    write(r.item(), out, true);
                } else {
                    out.append('(');
                    write(r.item(), out, false);
                    out.append(')');
                }
                out.append(suffix(r.min(), r.max()));
            }
        }
    }

    private static void writeJoined(List<GbnfExpr> items, String separator, StringBuilder out, boolean grouped) {
        if (grouped) {
            out.append('(');
        }
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out.append(separator);
            }
            write(items.get(i), out, true);
        }
        if (grouped) {
            out.append(')');
        }
    }

    private static String suffix(int min, int max) {
        if (max == Repeat.UNBOUNDED) {
            return switch (min) {
                case 0 -> "*";
                case 1 -> "+";
                default -> "{" + min + ",}";
            };
        }
        if (min == 0 && max == 1) {
            return "?";
        }
        return min == max ? "{" + min + "}" : "{" + min + "," + max + "}";
    }

    private static void writeLiteral(String text, StringBuilder out) {
        out.append('"');
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        out.append(String.format("\\x%02X", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        out.append('"');
    }

    /**
     * A character class in its shortest form, negated or not. Surrogate code points are not characters and never
     * occur in text, so the class may include them or not, whichever form does not have to name one.
     */
    private static void writeClass(CodePointSet set, StringBuilder out) {
        CodePointSet surrogates = CodePointSet.range(Character.MIN_SURROGATE, Character.MAX_SURROGATE);
        CodePointSet shown = null;
        boolean negated = false;
        for (CodePointSet candidate : List.of(set.minus(surrogates), set.union(surrogates))) {
            for (boolean negate : new boolean[] {true, false}) {
                CodePointSet ranges = negate ? candidate.complement() : candidate;
                if (!namesSurrogate(ranges) && (shown == null || ranges.rangeCount() < shown.rangeCount())) {
                    shown = ranges;
                    negated = negate;
                }
            }
        }
        out.append(negated ? "[^" : "[");
        for (int i = 0; i < shown.rangeCount(); i++) {
            int from = shown.rangeStart(i);
            int to = shown.rangeEnd(i);
            writeClassChar(from, out);
            if (to > from) {
                if (to > from + 1) {
                    out.append('-');
                }
                writeClassChar(to, out);
            }
        }
        out.append(']');
    }

    private static boolean namesSurrogate(CodePointSet ranges) {
        for (int i = 0; i < ranges.rangeCount(); i++) {
            if (Character.isSurrogate((char) ranges.rangeStart(i)) && ranges.rangeStart(i) <= 0xFFFF
                    || Character.isSurrogate((char) ranges.rangeEnd(i)) && ranges.rangeEnd(i) <= 0xFFFF) {
                return true;
            }
        }
        return false;
    }

    private static void writeClassChar(int c, StringBuilder out) {
        boolean plain = c > 0x20 && c < 0x7F && "]\\-^[\"".indexOf(c) < 0;
        if (plain || c > 0xFFFF) {
            out.appendCodePoint(c);
        } else if (c < 0x100) {
            out.append(String.format("\\x%02X", c));
        } else {
            out.append(String.format("\\u%04X", c));
        }
    }
}
