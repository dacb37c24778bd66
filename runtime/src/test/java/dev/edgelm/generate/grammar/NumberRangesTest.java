package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.edgelm.generate.grammar.NumberRanges.Bound;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Number ranges: every sentence is a canonical JSON number inside the bounds, both exactly and once read into a
 * double, with at most 15 digits.
 */
class NumberRangesTest {

    @Test
    void naturalsAcrossLengths() {
        assertThat(NumberRanges.naturals(BigInteger.valueOf(7), BigInteger.valueOf(1234)).render()).isEqualTo(
                "[7-9] | ([1-9] [0-9]{1,2}) | (\"1\" (([01] [0-9]{2}) | (\"2\" (([0-2] [0-9]) | (\"3\" [0-4])))))");
        assertThat(NumberRanges.naturals(BigInteger.ZERO, BigInteger.valueOf(9)).render()).isEqualTo("[0-9]");
        assertThat(NumberRanges.naturals(BigInteger.valueOf(40), BigInteger.valueOf(40)).render()).isEqualTo("\"40\"");
    }

    @Test
    void anEmptyRangeHasNoGrammar() {
        assertThat(NumberRanges.range(bound("1", true), bound("2", true), true)).isEmpty();
        assertThat(NumberRanges.range(bound("1.5", false), bound("1.5", true), false)).isEmpty();
        assertThat(NumberRanges.range(bound("3", false), bound("-3", false), false)).isEmpty();
    }

    @Test
    void everySentenceOfARandomRangeIsInside() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 3000; i++) {
            Bound low = random.nextInt(4) == 0 ? null : bound(randomDecimal(random), random.nextBoolean());
            Bound high = random.nextInt(4) == 0 ? null : bound(randomDecimal(random), random.nextBoolean());
            boolean integers = random.nextBoolean();
            var grammar = NumberRanges.range(low, high, integers);
            if (grammar.isEmpty()) {
                continue;
            }
            Sentences sentences = new Sentences(new GbnfRules(Map.of("root", grammar.get())), random);
            for (int k = 0; k < 20; k++) {
                String text = sentences.next();
                if (!text.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?") || text.equals("-0")
                        || text.replaceAll("[-.]", "").length() > NumberRanges.MAX_DIGITS
                        || (integers && text.contains("."))
                        || !inside(new BigDecimal(text), low, high)
                        || !inside(new BigDecimal(Double.toString(Double.parseDouble(text))), low, high)) {
                    fail("seed " + seed + ": " + text + " for " + low + ".." + high + (integers ? " (integers)" : ""));
                }
            }
        }
    }

    private static boolean inside(BigDecimal value, Bound low, Bound high) {
        boolean aboveLow = low == null || (low.exclusive() ? value.compareTo(low.value()) > 0
                : value.compareTo(low.value()) >= 0);
        boolean belowHigh = high == null || (high.exclusive() ? value.compareTo(high.value()) < 0
                : value.compareTo(high.value()) <= 0);
        return aboveLow && belowHigh;
    }

    /** Small and large, integral and fractional, with few significant digits (as schemas write them). */
    private static String randomDecimal(SplittableRandom random) {
        BigDecimal value = BigDecimal.valueOf(random.nextLong(-99_999, 100_000), random.nextInt(-6, 8));
        return value.toPlainString();
    }

    private static Bound bound(String value, boolean exclusive) {
        return new Bound(new BigDecimal(value), exclusive);
    }
}
