package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What the converted grammars accept and reject, run by the GBNF engine ({@link Grammar}). */
class JsonSchemaAcceptanceTest {

    @Test
    void objectsInDeclarationOrderWithRequiredFirstAndBoundedWhiteSpace() {
        Grammar grammar = grammar("""
                {"type": "object", "properties": {"temp": {"type": "number"}, "unit": {"enum": ["C", "F"]}},
                 "required": ["unit"]}""");
        assertAccepts(grammar, "{\"unit\":\"C\"}", "{\"unit\":\"F\",\"temp\":-21.5}", "{ \"unit\": \"C\", \"temp\": 3}",
                "{\n  \"unit\":\n\t\"C\",\n" + " ".repeat(20) + "\"temp\":1e-5}");
        assertRejects(grammar, "{}", "{\"temp\":1,\"unit\":\"C\"}", "{\"unit\":\"C\",\"other\":1}",
                "{\"unit\":\"K\"}", " {\"unit\":\"C\"}", "{\"unit\":\"C\"} ", "{\"unit\" :\"C\"}",
                "{\"unit\":\"C\" }", "{\n" + " ".repeat(21) + "\"unit\":\"C\"}", "{  \"unit\":\"C\"}",
                "{\"unit\":\"C\",\"unit\":\"C\"}");
    }

    @Test
    void extraPropertiesOnlyWhereAdditionalPropertiesAllowsThem() {
        Grammar open = grammar("{\"type\": \"object\", \"properties\": {\"a\": {\"const\": 1}}, "
                + "\"additionalProperties\": {\"type\": \"boolean\"}}");
        assertAccepts(open, "{}", "{\"a\":1}", "{\"a\":1,\"b\":true}", "{\"b\":false,\"ab\":true}", "{\"\":true}");
        assertRejects(open, "{\"a\":true}", "{\"b\":1}", "{\"b\":true,\"a\":1}");
        assertAccepts(grammar("{\"type\": \"object\"}"), "{}", "{\"x\":[1,{\"y\":null}],\"z\":\"w\"}");
    }

    @Test
    void stringsAreValidJsonWithoutRawControlCharacters() {
        Grammar grammar = grammar("{\"type\": \"string\"}");
        assertAccepts(grammar, "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u001F\\u0000\"", "\"é中😀\u007F\"");
        assertRejects(grammar, "\"a", "\"\n\"", "\"\t\"", "\"\\x41\"", "\"\\u0041\"", "\"\\uD83D\\uDE00\"", "'a'");
    }

    @Test
    void lengthsCountCharacters() {
        Grammar grammar = grammar("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}");
        assertAccepts(grammar, "\"ab\"", "\"😀😀\"", "\"\\n\\\"x\"", "\"a\\u0001\"");
        assertRejects(grammar, "\"a\"", "\"😀\"", "\"abcd\"", "\"\\n\\n\\n\\n\"");
    }

    @Test
    void patternsMatchWholeStrings() {
        Grammar grammar = grammar("{\"type\": \"string\", \"pattern\": \"[A-Z]{2}-\\\\d{3}\"}");
        assertAccepts(grammar, "\"AB-123\"");
        assertRejects(grammar, "\"xAB-123\"", "\"AB-1234\"", "\"ab-123\"");
        Grammar escapes = grammar("{\"type\": \"string\", \"pattern\": \"^[^a]\\\\s\\\"$\"}");
        assertAccepts(escapes, "\"b \\\"\"", "\"\\\\\\n\\\"\"", "\"\\/\\u000B\\\"\"", "\"\\u0000\\t\\\"\"");
        assertRejects(escapes, "\"a \\\"\"", "\"bb\\\"\"");
    }

    @Test
    void formats() {
        Grammar date = grammar("{\"type\": \"string\", \"format\": \"date\"}");
        assertAccepts(date, "\"2024-01-31\"", "\"1999-02-28\"", "\"2023-04-30\"");
        assertRejects(date, "\"2023-04-31\"", "\"2023-13-01\"", "\"2023-00-10\"", "\"2023-02-30\"", "\"23-01-01\"");
        Grammar dateTime = grammar("{\"type\": \"string\", \"format\": \"date-time\"}");
        assertAccepts(dateTime, "\"2024-05-06T07:08:09Z\"", "\"2024-05-06T23:59:59.123456789+05:30\"",
                "\"2024-05-06T00:00:00-00:30\"");
        assertRejects(dateTime, "\"2024-05-06 07:08:09Z\"", "\"2024-05-06T24:00:00Z\"", "\"2024-05-06T07:08:09\"",
                "\"2024-05-06T07:08:60Z\"", "\"2024-05-06T07:08:09-00:00\"", "\"2024-05-06T07:08:09+18:00\"");
        assertAccepts(grammar("{\"type\": \"string\", \"format\": \"uuid\"}"),
                "\"123e4567-e89b-12d3-A456-426614174000\"");
        Grammar ipv4 = grammar("{\"type\": \"string\", \"format\": \"ipv4\"}");
        assertAccepts(ipv4, "\"192.168.0.1\"", "\"0.0.0.0\"", "\"255.255.255.255\"");
        assertRejects(ipv4, "\"256.1.1.1\"", "\"01.1.1.1\"", "\"1.1.1\"");
    }

    @Test
    void numbersAreCanonicalJsonNumbers() {
        Grammar integer = grammar("{\"type\": \"integer\"}");
        assertAccepts(integer, "0", "-7", "123456789012345");
        assertRejects(integer, "-0", "01", "1.0", "1e3", "+1", "1234567890123456", "");
        Grammar number = grammar("{\"type\": \"number\"}");
        assertAccepts(number, "0", "-0.5", "1.25e-7", "6E+22", "-0");
        assertRejects(number, ".5", "1.", "1e", "1e100", "00.1", "NaN", "Infinity");
    }

    @Test
    void integerRangesAreExact() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 40; i++) {
            int low = random.nextInt(-400, 400);
            int high = low + random.nextInt(0, 400);
            boolean lowExclusive = random.nextBoolean();
            boolean highExclusive = random.nextBoolean();
            String schema = "{\"type\": \"integer\", \"" + (lowExclusive ? "exclusiveMinimum" : "minimum") + "\": "
                    + low + ", \"" + (highExclusive ? "exclusiveMaximum" : "maximum") + "\": " + high + "}";
            if (high - low < (lowExclusive ? 1 : 0) + (highExclusive ? 1 : 0)) {
                continue;
            }
            Grammar grammar = grammar(schema);
            for (int n = low - 30; n <= high + 30; n++) {
                boolean inside = (lowExclusive ? n > low : n >= low) && (highExclusive ? n < high : n <= high);
                if (grammar.accepts(Integer.toString(n)) != inside) {
                    fail("seed " + seed + ": " + n + (inside ? " rejected" : " accepted") + " for " + schema);
                }
            }
        }
    }

    @Test
    void numberRangesAreExactForEveryCanonicalNumber() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 60; i++) {
            BigDecimal low = BigDecimal.valueOf(random.nextInt(-5000, 5000), random.nextInt(0, 4));
            BigDecimal high = low.add(BigDecimal.valueOf(random.nextInt(0, 5000), random.nextInt(0, 4)));
            boolean lowExclusive = random.nextBoolean();
            boolean highExclusive = random.nextBoolean();
            String schema = "{\"type\": \"number\", \"" + (lowExclusive ? "exclusiveMinimum" : "minimum") + "\": "
                    + low.toPlainString() + ", \"" + (highExclusive ? "exclusiveMaximum" : "maximum") + "\": "
                    + high.toPlainString() + "}";
            if (low.compareTo(high) == 0 && (lowExclusive || highExclusive)) {
                continue;
            }
            Grammar grammar = grammar(schema);
            for (int k = 0; k < 300; k++) {
                BigDecimal value = (random.nextBoolean() ? low : high)
                        .add(BigDecimal.valueOf(random.nextInt(-2000, 2000), random.nextInt(0, 6)));
                String text = value.toPlainString();
                if (value.signum() == 0) {
                    text = text.replace("-", "");
                }
                boolean inside = (lowExclusive ? value.compareTo(low) > 0 : value.compareTo(low) >= 0)
                        && (highExclusive ? value.compareTo(high) < 0 : value.compareTo(high) <= 0);
                if (grammar.accepts(text) != inside) {
                    fail("seed " + seed + ": " + text + (inside ? " rejected" : " accepted") + " for " + schema);
                }
            }
        }
    }

    @Test
    void arraysWithinTheirLimits() {
        Grammar grammar = grammar("{\"type\": \"array\", \"prefixItems\": [{\"type\": \"string\"}], "
                + "\"items\": {\"type\": \"integer\"}, \"minItems\": 2, \"maxItems\": 3}");
        assertAccepts(grammar, "[\"a\",1]", "[\"a\", 1,\n 2]");
        assertRejects(grammar, "[]", "[\"a\"]", "[\"a\",1,2,3]", "[1,1]", "[\"a\",\"b\"]", "[\"a\",1,]");
    }

    @Test
    void enumConstAnyOfAndRecursion() {
        assertAccepts(grammar("{\"enum\": [{\"a\": 1}, [true], \"x\"]}"), "{\"a\":1}", "[true]", "\"x\"");
        assertRejects(grammar("{\"enum\": [{\"a\": 1}, [true], \"x\"]}"), "{ \"a\":1}", "[ true]", "\"y\"");
        Grammar tree = grammar("""
                {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
                  "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["v"],
                  "additionalProperties": false}},
                 "anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}""");
        assertAccepts(tree, "null", "{\"v\":1}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]},{\"v\":3}]}");
        assertRejects(tree, "{\"kids\":[]}", "{\"v\":1,\"kids\":[null]}");
    }

    @Test
    void acceptedPrefixesCanAlwaysBeCompleted() {
        Grammar grammar = grammar("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", "
                + "\"minimum\": 10, \"maximum\": 12}}, \"required\": [\"n\"]}");
        assertThat(grammar.acceptsPrefix("{\"n\":1")).isTrue();
        assertThat(grammar.acceptsPrefix("{\"n\":13")).isFalse();
        assertThat(grammar.acceptsPrefix("{\"n\":9")).isFalse();
        assertThat(grammar.acceptsPrefix("{\"m\"")).isFalse();
    }

    private static Grammar grammar(String schema) {
        return Grammar.parse(JsonSchemaGrammar.toGbnf(schema));
    }

    private static void assertAccepts(Grammar grammar, String... texts) {
        for (String text : texts) {
            assertThat(grammar.accepts(text)).as("accepts %s", text).isTrue();
        }
    }

    private static void assertRejects(Grammar grammar, String... texts) {
        for (String text : texts) {
            assertThat(grammar.accepts(text)).as("rejects %s", text).isFalse();
        }
    }
}
