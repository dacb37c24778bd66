package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pattern translation: what the grammar writes, decoded from JSON, contains a match, with the computed lengths. */
class RegexTranslatorTest {

    @Test
    void translatesTheSubset() {
        assertThat(translate("^(?:ab|c)+\\.[^\\d\\s]?$")).isEqualTo("(\"ab\" | \"c\")+ \".\" ("
                + "[^\\x00-\\x20\\x220-9\\x5C] | (\"\\\\\" [\\x22/\\x5Cb]) | (\"\\\\u000\" [0-8EFef])"
                + " | (\"\\\\u001\" [0-9A-Fa-f]))?");
        assertThat(translate("[a-c\\-]{2,3}")).isEqualTo("[\\x2Da-c]{2,3}");
        assertThat(translate("\\/|\"")).isEqualTo("\"/\" | \"\\\\/\" | \"\\\\\\\"\"");
        assertThat(translate("a|")).isEqualTo("\"a\"?");
    }

    @Test
    void lengthsFollowTheStructure() {
        assertThat(RegexTranslator.translate("^a{2,4}(bc)?$", "#")).extracting(StringShape::minLength,
                StringShape::maxLength).containsExactly(2, 6);
        assertThat(RegexTranslator.translate("x|y+", "#")).extracting(StringShape::minLength, StringShape::maxLength)
                .containsExactly(1, -1);
        assertThat(RegexTranslator.translate("(?:)*", "#")).extracting(StringShape::minLength, StringShape::maxLength)
                .containsExactly(0, 0);
    }

    @Test
    void everySentenceOfARandomPatternMatchesIt() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            String pattern = new RandomRegex(random).next().text();
            StringShape shape = RegexTranslator.translate(pattern, "#");
            GbnfRules rules = new GbnfRules(Map.of("root", GbnfExpr.seq(GbnfExpr.literal("\""), shape.grammar(),
                    GbnfExpr.literal("\""))));
            Sentences sentences = new Sentences(rules, random);
            for (int k = 0; k < 10; k++) {
                String json = sentences.next();
                String value = decode(json);
                int length = value.codePointCount(0, value.length());
                if (!Pattern.compile(pattern).matcher(new Bounded(value)).find() || length < shape.minLength()
                        || (shape.maxLength() >= 0 && length > shape.maxLength())) {
                    fail("seed " + seed + ": " + json + " for pattern " + pattern + " (lengths " + shape.minLength()
                            + " to " + shape.maxLength() + ")");
                }
            }
        }
    }

    /** Text that java.util.regex may read a bounded number of times: a backtracking blow-up fails, not hangs. */
    private record Bounded(String text, int[] reads) implements CharSequence {
        Bounded(String text) {
            this(text, new int[1]);
        }

        @Override
        public char charAt(int index) {
            if (++reads[0] > 50_000_000) {
                throw new IllegalStateException("java.util.regex backtracks too long on " + text);
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static String translate(String pattern) {
        return RegexTranslator.translate(pattern, "#").grammar().render();
    }

    private static String decode(String json) {
        try {
            return RandomSchemas.MAPPER.readValue(json, String.class);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not a JSON string: " + json, e);
        }
    }
}
