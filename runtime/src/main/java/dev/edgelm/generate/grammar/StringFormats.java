package dev.edgelm.generate.grammar;

import static dev.edgelm.generate.grammar.GbnfExpr.alt;
import static dev.edgelm.generate.grammar.GbnfExpr.literal;
import static dev.edgelm.generate.grammar.GbnfExpr.optional;
import static dev.edgelm.generate.grammar.GbnfExpr.repeat;
import static dev.edgelm.generate.grammar.GbnfExpr.seq;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Grammars for the string formats whose values a grammar can produce exactly: RFC 3339 {@code date}, {@code time}
 * and {@code date-time}, {@code uuid} and {@code ipv4}. They are strict subsets that every format validator accepts:
 * years 1000-9999, February up to the 28th (no leap-year arithmetic in a grammar), no leap seconds, upper-case
 * {@code T} and {@code Z}, offsets up to ±17:59 but not -00:00, fractions of 1 to 9 digits.
 */
final class StringFormats {
    /** The formats that this converter can produce. */
    static final Set<String> NAMES = Set.of("date", "time", "date-time", "uuid", "ipv4");

    private static final Map<String, StringShape> SHAPES;

    static {
        GbnfExpr digit = chars('0', '9');
        GbnfExpr date = seq(chars('1', '9'), repeat(digit, 3, 3), literal("-"), alt(
                seq(alt(seq(literal("0"), set("13578")), seq(literal("1"), set("02"))), literal("-"),
                        day(literal("3"), set("01"))),
                seq(alt(seq(literal("0"), set("469")), literal("11")), literal("-"), day(literal("30"), null)),
                seq(literal("02-"), alt(seq(literal("0"), chars('1', '9')), seq(literal("1"), digit),
                        seq(literal("2"), chars('0', '8'))))));
        GbnfExpr hour = alt(seq(set("01"), digit), seq(literal("2"), chars('0', '3')));
        GbnfExpr sixty = seq(chars('0', '5'), digit);
        // "-00:00" (offset unknown) is valid RFC 3339 but some validators reject it.
        GbnfExpr hours = alt(seq(literal("0"), digit), seq(literal("1"), chars('0', '7')));
        GbnfExpr nonZeroHours = alt(seq(literal("0"), chars('1', '9')), seq(literal("1"), chars('0', '7')));
        GbnfExpr nonZeroMinutes = alt(seq(literal("0"), chars('1', '9')), seq(chars('1', '5'), digit));
        GbnfExpr offset = alt(literal("Z"), seq(literal("+"), hours, literal(":"), sixty),
                seq(literal("-"), alt(seq(nonZeroHours, literal(":"), sixty), seq(literal("00:"), nonZeroMinutes))));
        GbnfExpr time = seq(hour, literal(":"), sixty, literal(":"), sixty,
                optional(seq(literal("."), repeat(digit, 1, 9))), offset);
        GbnfExpr hex = GbnfExpr.chars(CodePointSet.range('0', '9').union(CodePointSet.range('a', 'f'))
                .union(CodePointSet.range('A', 'F')));
        GbnfExpr uuid = seq(repeat(hex, 8, 8), literal("-"), repeat(hex, 4, 4), literal("-"), repeat(hex, 4, 4),
                literal("-"), repeat(hex, 4, 4), literal("-"), repeat(hex, 12, 12));
        GbnfExpr octet = alt(seq(literal("25"), chars('0', '5')), seq(literal("2"), chars('0', '4'), digit),
                seq(literal("1"), digit, digit), seq(chars('1', '9'), digit), digit);
        GbnfExpr ipv4 = seq(octet, repeat(seq(literal("."), octet), 3, 3));
        SHAPES = Map.of(
                "date", new StringShape(date, 10, 10),
                "time", new StringShape(time, 9, 24),
                "date-time", new StringShape(seq(date, literal("T"), time), 20, 35),
                "uuid", new StringShape(uuid, 36, 36),
                "ipv4", new StringShape(ipv4, 7, 15));
    }

    private StringFormats() {
    }

    /** The shape of a format's strings, empty for a format this converter cannot produce. */
    static Optional<StringShape> shape(String format) {
        return Optional.ofNullable(SHAPES.get(format));
    }

    /** Days 01 to 29, then the last tens digit and its allowed units (null: the tens digit alone is whole). */
    private static GbnfExpr day(GbnfExpr lastTens, GbnfExpr lastUnits) {
        return alt(seq(literal("0"), chars('1', '9')), seq(set("12"), chars('0', '9')),
                lastUnits == null ? lastTens : seq(lastTens, lastUnits));
    }

    private static GbnfExpr chars(char from, char to) {
        return GbnfExpr.chars(CodePointSet.range(from, to));
    }

    private static GbnfExpr set(String chars) {
        return GbnfExpr.chars(CodePointSet.of(chars));
    }
}
