package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSON encodings of string characters, so that a grammar over decoded characters (a pattern, a length, a
 * property name) becomes a grammar over JSON text. Each encoding stands for exactly one code point, which keeps
 * lengths and patterns exact: a code point is written raw where JSON allows it, as its short escape, or (control
 * characters only) as <code>&#92;u00XX</code>. Other <code>&#92;uXXXX</code> escapes are never produced, nor lone
 * surrogates.
 */
final class JsonStrings {
    private static final CodePointSet CONTROL = CodePointSet.range(0, 0x1F);
    private static final CodePointSet SURROGATES = CodePointSet.range(Character.MIN_SURROGATE, Character.MAX_SURROGATE);

    /** Code points that a JSON string may hold as they are. */
    static final CodePointSet RAW = CodePointSet.ALL.minus(CONTROL).minus(SURROGATES).minus(CodePointSet.of("\"\\"));

    /** Code points that some encoding can stand for. */
    static final CodePointSet ENCODABLE = CodePointSet.ALL.minus(SURROGATES);

    /** The characters with a short escape, and the letter after the backslash. */
    private static final String SHORT_ESCAPED = "\"\\/\b\f\n\r\t";
    private static final String SHORT_LETTERS = "\"\\/bfnrt";

    private JsonStrings() {
    }

    /**
     * The JSON encodings of one code point of the set.
     *
     * @throws IllegalArgumentException if the set has no encodable code point
     */
    static GbnfExpr encodedChar(CodePointSet set) {
        List<GbnfExpr> options = new ArrayList<>();
        CodePointSet raw = set.intersect(RAW);
        if (!raw.isEmpty()) {
            options.add(GbnfExpr.chars(raw));
        }
        StringBuilder letters = new StringBuilder();
        for (int i = 0; i < SHORT_ESCAPED.length(); i++) {
            if (set.contains(SHORT_ESCAPED.charAt(i))) {
                letters.append(SHORT_LETTERS.charAt(i));
            }
        }
        if (!letters.isEmpty()) {
            options.add(GbnfExpr.seq(GbnfExpr.literal("\\"), GbnfExpr.chars(CodePointSet.of(letters.toString()))));
        }
        CodePointSet low0 = lowNibbles(set, 0);
        CodePointSet low1 = lowNibbles(set, 1);
        if (low0.equals(low1) && !low0.isEmpty()) {
            options.add(GbnfExpr.seq(GbnfExpr.literal("\\u00"), GbnfExpr.chars(CodePointSet.of("01")),
                    GbnfExpr.chars(low0)));
        } else {
            for (int high = 0; high < 2; high++) {
                CodePointSet low = high == 0 ? low0 : low1;
                if (!low.isEmpty()) {
                    options.add(GbnfExpr.seq(GbnfExpr.literal("\\u00" + high), GbnfExpr.chars(low)));
                }
            }
        }
        if (options.isEmpty()) {
            throw new IllegalArgumentException("no JSON encoding for " + set);
        }
        return GbnfExpr.alt(options);
    }

    /** The hex digits, in both cases, of the control characters 0xH0..0xHF in the set. */
    private static CodePointSet lowNibbles(CodePointSet set, int high) {
        CodePointSet digits = CodePointSet.EMPTY;
        for (int low = 0; low < 16; low++) {
            if (set.contains(high * 16 + low)) {
                String hex = Integer.toHexString(low);
                digits = digits.union(CodePointSet.of(hex + hex.toUpperCase()));
            }
        }
        return digits;
    }
}
