package dev.edgelm.generate.grammar;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Grammars for JSON numbers, exact for ranges: every text a range grammar produces is a number inside the range.
 * Numbers are written canonically (no leading zeros, no {@code -0}); within a range, without exponent and with at
 * most {@value #MAX_DIGITS} digits in all, so that the value survives parsing into a double (as most JSON readers
 * and validators do) without crossing a bound. Lengths are bounded, so that generation ends.
 */
final class NumberRanges {
    /** The most digits of a number: a double holds 15 significant decimal digits exactly. */
    static final int MAX_DIGITS = 15;
    private static final BigInteger LARGEST = BigInteger.TEN.pow(MAX_DIGITS).subtract(BigInteger.ONE);
    private static final GbnfExpr DIGIT = GbnfExpr.chars(CodePointSet.range('0', '9'));
    private static final GbnfExpr NONZERO_DIGIT = GbnfExpr.chars(CodePointSet.range('1', '9'));

    /** Any integer. */
    static final GbnfExpr INTEGER = GbnfExpr.alt(GbnfExpr.literal("0"), GbnfExpr.seq(
            GbnfExpr.optional(GbnfExpr.literal("-")), NONZERO_DIGIT, GbnfExpr.repeat(DIGIT, 0, MAX_DIGITS - 1)));

    /** Any number (an exponent of at most two digits keeps it finite as a double). */
    static final GbnfExpr NUMBER = GbnfExpr.seq(GbnfExpr.optional(GbnfExpr.literal("-")),
            GbnfExpr.alt(GbnfExpr.literal("0"), GbnfExpr.seq(NONZERO_DIGIT, GbnfExpr.repeat(DIGIT, 0, MAX_DIGITS - 1))),
            GbnfExpr.optional(GbnfExpr.seq(GbnfExpr.literal("."), GbnfExpr.repeat(DIGIT, 1, MAX_DIGITS))),
            GbnfExpr.optional(GbnfExpr.seq(GbnfExpr.chars(CodePointSet.of("eE")),
                    GbnfExpr.optional(GbnfExpr.chars(CodePointSet.of("+-"))), GbnfExpr.repeat(DIGIT, 1, 2))));

    /** A lower or upper limit, inclusive or exclusive. */
    record Bound(BigDecimal value, boolean exclusive) {
        Bound {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A limit on the fraction digits {@code D} of a number, compared as the value {@code 0.D}.
     *
     * @param digits the limit's fraction digits, without trailing zeros
     */
    private record Frac(String digits, boolean exclusive) {
    }

    private NumberRanges() {
    }

    /**
     * The numbers within the bounds (null for none), integers only or also decimals; empty when there is none.
     */
    static Optional<GbnfExpr> range(Bound lower, Bound upper, boolean integersOnly) {
        List<GbnfExpr> options = new ArrayList<>();
        if (upper == null || upper.value().signum() > 0 || (upper.value().signum() == 0 && !upper.exclusive())) {
            Bound low = lower == null || lower.value().signum() < 0 ? new Bound(BigDecimal.ZERO, false) : lower;
            magnitude(low, upper, integersOnly).ifPresent(options::add);
        }
        if (lower == null || lower.value().signum() < 0) {
            Bound low = upper != null && upper.value().signum() < 0
                    ? new Bound(upper.value().negate(), upper.exclusive())
                    : new Bound(BigDecimal.ZERO, true);
            Bound high = lower == null ? null : new Bound(lower.value().negate(), lower.exclusive());
            magnitude(low, high, integersOnly).ifPresent(m -> options.add(GbnfExpr.seq(GbnfExpr.literal("-"), m)));
        }
        return options.isEmpty() ? Optional.empty() : Optional.of(GbnfExpr.alt(options));
    }

    /** Non-negative numbers between the bounds; low is at least zero, high may be null. */
    private static Optional<GbnfExpr> magnitude(Bound low, Bound high, boolean integersOnly) {
        if (high != null) {
            int order = low.value().compareTo(high.value());
            if (order > 0 || (order == 0 && (low.exclusive() || high.exclusive()))) {
                return Optional.empty();
            }
        }
        if (integersOnly) {
            BigInteger from = low.exclusive() ? floor(low.value()).add(BigInteger.ONE) : ceil(low.value());
            BigInteger to = high == null ? LARGEST : high.exclusive()
                    ? ceil(high.value()).subtract(BigInteger.ONE).min(LARGEST) : floor(high.value()).min(LARGEST);
            return from.compareTo(to) > 0 ? Optional.empty() : Optional.of(naturals(from, to));
        }
        BigInteger lowInt = floor(low.value());
        Frac lowFrac = new Frac(fractionDigits(low.value()), low.exclusive());
        BigInteger highInt = high == null ? null : floor(high.value());
        Frac highFrac = high == null ? null : new Frac(fractionDigits(high.value()), high.exclusive());
        List<GbnfExpr> options = new ArrayList<>();
        if (lowInt.compareTo(LARGEST) > 0) {
            return Optional.empty();
        }
        if (lowInt.equals(highInt)) {
            withFraction(lowInt, lowFrac, highFrac).ifPresent(options::add);
        } else {
            withFraction(lowInt, lowFrac, null).ifPresent(options::add);
            BigInteger middleTo = highInt == null ? LARGEST : highInt.subtract(BigInteger.ONE).min(LARGEST);
            BigInteger middleFrom = lowInt.add(BigInteger.ONE);
            for (int length = middleFrom.toString().length(); length <= middleTo.toString().length(); length++) {
                BigInteger from = middleFrom.max(BigInteger.TEN.pow(length - 1));
                BigInteger to = middleTo.min(BigInteger.TEN.pow(length).subtract(BigInteger.ONE));
                if (from.compareTo(to) <= 0) {
                    options.add(GbnfExpr.seq(sameLength(from.toString(), to.toString()),
                            anyFraction(MAX_DIGITS - length)));
                }
            }
            if (highInt != null && highInt.compareTo(LARGEST) <= 0) {
                withFraction(highInt, null, highFrac).ifPresent(options::add);
            }
        }
        return options.isEmpty() ? Optional.empty() : Optional.of(GbnfExpr.alt(options));
    }

    /** An integer part and a fraction within limits, the digits of both at most {@value #MAX_DIGITS}. */
    private static Optional<GbnfExpr> withFraction(BigInteger integer, Frac low, Frac high) {
        return fraction(low, high, MAX_DIGITS - integer.toString().length())
                .map(f -> GbnfExpr.seq(GbnfExpr.literal(integer.toString()), f));
    }

    private static GbnfExpr anyFraction(int budget) {
        return budget <= 0 ? GbnfExpr.EMPTY
                : GbnfExpr.optional(GbnfExpr.seq(GbnfExpr.literal("."), GbnfExpr.repeat(DIGIT, 1, budget)));
    }

    /** An optional fraction ({@code "." D}) whose value 0.D is within the limits (null for none). */
    private static Optional<GbnfExpr> fraction(Frac low, Frac high, int budget) {
        low = normalise(low);
        List<GbnfExpr> options = new ArrayList<>();
        if (zeroWithin(low, high)) {
            options.add(GbnfExpr.EMPTY);
        }
        digits(low, high, budget).ifPresent(d -> options.add(GbnfExpr.seq(GbnfExpr.literal("."), d)));
        return options.isEmpty() ? Optional.empty() : Optional.of(GbnfExpr.alt(options));
    }

    /** A lower limit of exactly zero, inclusive, limits nothing. */
    private static Frac normalise(Frac low) {
        return low != null && low.digits().isEmpty() && !low.exclusive() ? null : low;
    }

    private static boolean zeroWithin(Frac low, Frac high) {
        return low == null && (high == null || !high.digits().isEmpty() || !high.exclusive());
    }

    /** Non-empty digit strings D of at most budget digits whose value 0.D is within the limits (low normalised). */
    private static Optional<GbnfExpr> digits(Frac low, Frac high, int budget) {
        if (budget <= 0 || (high != null && high.digits().isEmpty() && high.exclusive())) {
            return Optional.empty();
        }
        if (low == null && high == null) {
            return Optional.of(GbnfExpr.repeat(DIGIT, 1, budget));
        }
        if (low == null && high.digits().isEmpty()) {
            return Optional.of(GbnfExpr.repeat(GbnfExpr.literal("0"), 1, budget));
        }
        // Group the first digits that leave the same limits on the rest, and recurse on the rest.
        List<GbnfExpr> options = new ArrayList<>();
        int first = 0;
        while (first <= 9) {
            Step lowStep = step(low, first, true);
            Step highStep = step(high, first, false);
            int last = first;
            while (last < 9 && step(low, last + 1, true).equals(lowStep)
                    && step(high, last + 1, false).equals(highStep)) {
                last++;
            }
            if (lowStep.allowed() && highStep.allowed()) {
                GbnfExpr digit = GbnfExpr.chars(CodePointSet.range('0' + first, '0' + last));
                Frac restLow = normalise(lowStep.rest());
                List<GbnfExpr> rest = new ArrayList<>();
                if (zeroWithin(restLow, highStep.rest())) {
                    rest.add(GbnfExpr.EMPTY);
                }
                digits(restLow, highStep.rest(), budget - 1).ifPresent(rest::add);
                if (!rest.isEmpty()) {
                    options.add(GbnfExpr.seq(digit, GbnfExpr.alt(rest)));
                }
            }
            first = last + 1;
        }
        return options.isEmpty() ? Optional.empty() : Optional.of(GbnfExpr.alt(options));
    }

    /**
     * What a limit leaves on the digits after a first digit d.
     *
     * @param allowed whether d keeps within the limit
     * @param rest    the limit on the remaining digits, null when d settles it
     */
    private record Step(boolean allowed, Frac rest) {
    }

    private static Step step(Frac limit, int d, boolean lower) {
        if (limit == null) {
            return new Step(true, null);
        }
        int first = limit.digits().isEmpty() ? 0 : limit.digits().charAt(0) - '0';
        if (d == first) {
            String rest = limit.digits().isEmpty() ? "" : limit.digits().substring(1);
            return new Step(true, new Frac(rest, limit.exclusive()));
        }
        return new Step((d > first) == lower, null);
    }

    /** The canonical decimal texts of the integers from..to, 0 <= from <= to. */
    static GbnfExpr naturals(BigInteger from, BigInteger to) {
        String low = from.toString();
        String high = to.toString();
        if (low.length() == high.length()) {
            return sameLength(low, high);
        }
        List<GbnfExpr> options = new ArrayList<>();
        options.add(sameLength(low, "9".repeat(low.length())));
        if (high.length() - 1 > low.length()) {
            options.add(GbnfExpr.seq(NONZERO_DIGIT, GbnfExpr.repeat(DIGIT, low.length(), high.length() - 2)));
        }
        options.add(sameLength("1" + "0".repeat(high.length() - 1), high));
        return GbnfExpr.alt(options);
    }

    /** The digit strings of one length between low and high. */
    private static GbnfExpr sameLength(String low, String high) {
        int i = 0;
        while (i < low.length() && low.charAt(i) == high.charAt(i)) {
            i++;
        }
        if (i == low.length()) {
            return GbnfExpr.literal(low);
        }
        String lowRest = low.substring(i + 1);
        String highRest = high.substring(i + 1);
        char a = low.charAt(i);
        char b = high.charAt(i);
        List<GbnfExpr> options = new ArrayList<>();
        char classFrom = a;
        char classTo = b;
        if (!lowRest.chars().allMatch(c -> c == '0')) {
            options.add(GbnfExpr.seq(GbnfExpr.literal(String.valueOf(a)), atLeast(lowRest)));
            classFrom++;
        }
        GbnfExpr highOption = null;
        if (!highRest.chars().allMatch(c -> c == '9')) {
            highOption = GbnfExpr.seq(GbnfExpr.literal(String.valueOf(b)), atMost(highRest));
            classTo--;
        }
        if (classFrom <= classTo) {
            options.add(GbnfExpr.seq(GbnfExpr.chars(CodePointSet.range(classFrom, classTo)),
                    GbnfExpr.repeat(DIGIT, lowRest.length(), lowRest.length())));
        }
        if (highOption != null) {
            options.add(highOption);
        }
        return GbnfExpr.seq(GbnfExpr.literal(low.substring(0, i)), GbnfExpr.alt(options));
    }

    /** Digit strings as long as s and not smaller. */
    private static GbnfExpr atLeast(String s) {
        if (s.chars().allMatch(c -> c == '0')) {
            return GbnfExpr.repeat(DIGIT, s.length(), s.length());
        }
        char first = s.charAt(0);
        if (s.length() == 1) {
            return GbnfExpr.chars(CodePointSet.range(first, '9'));
        }
        List<GbnfExpr> options = new ArrayList<>();
        options.add(GbnfExpr.seq(GbnfExpr.literal(String.valueOf(first)), atLeast(s.substring(1))));
        if (first < '9') {
            options.add(GbnfExpr.seq(GbnfExpr.chars(CodePointSet.range(first + 1, '9')),
                    GbnfExpr.repeat(DIGIT, s.length() - 1, s.length() - 1)));
        }
        return GbnfExpr.alt(options);
    }

    /** Digit strings as long as s and not greater. */
    private static GbnfExpr atMost(String s) {
        if (s.chars().allMatch(c -> c == '9')) {
            return GbnfExpr.repeat(DIGIT, s.length(), s.length());
        }
        char first = s.charAt(0);
        if (s.length() == 1) {
            return GbnfExpr.chars(CodePointSet.range('0', first));
        }
        List<GbnfExpr> options = new ArrayList<>();
        if (first > '0') {
            options.add(GbnfExpr.seq(GbnfExpr.chars(CodePointSet.range('0', first - 1)),
                    GbnfExpr.repeat(DIGIT, s.length() - 1, s.length() - 1)));
        }
        options.add(GbnfExpr.seq(GbnfExpr.literal(String.valueOf(first)), atMost(s.substring(1))));
        return GbnfExpr.alt(options);
    }

    private static GbnfExpr literal(BigInteger value) {
        return GbnfExpr.literal(value.toString());
    }

    private static BigInteger floor(BigDecimal value) {
        return value.setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
    }

    private static BigInteger ceil(BigDecimal value) {
        return value.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
    }

    /** The fraction digits of a non-negative value, without trailing zeros ("" for an integer). */
    private static String fractionDigits(BigDecimal value) {
        BigDecimal fraction = value.subtract(value.setScale(0, RoundingMode.FLOOR));
        if (fraction.signum() == 0) {
            return "";
        }
        String plain = fraction.stripTrailingZeros().toPlainString();
        return plain.substring(plain.indexOf('.') + 1);
    }
}
