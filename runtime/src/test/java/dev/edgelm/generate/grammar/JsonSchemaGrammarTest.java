package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.api.IterableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GBNF the converter writes, keyword by keyword: its text for small schemas, and random sentences of it checked
 * by a real validator. (Acceptance by the GBNF engine is in {@link JsonSchemaAcceptanceTest}.)
 */
class JsonSchemaGrammarTest {
    private static final String WS = "ws ::= (\" \" | (\"\\n\" [\\x09\\x20]{0,20}))?\n";
    private static final String CHAR = "char ::= [^\\x00-\\x1F\\x22\\x5C] | (\"\\\\\" [\\x22/\\x5Cbfnrt]) "
            + "| (\"\\\\u00\" [01] [0-9A-Fa-f])\n";

    @Test
    void requiredPropertiesComeFirstAndOptionalOnesMayBeLeftOut() {
        assertThat(JsonSchemaGrammar.toGbnf("""
                {"type": "object", "properties": {"temp": {"type": "number"}, "unit": {"enum": ["C", "F"]}},
                 "required": ["unit"]}""")).isEqualTo("""
                root ::= "{" ws "\\"unit\\":" ws root-unit ("," ws "\\"temp\\":" ws number)? "}"
                root-unit ::= "\\"C\\"" | "\\"F\\""
                """ + WS + """
                number ::= "-"? ("0" | ([1-9] [0-9]{0,14})) ("." [0-9]{1,15})? ([Ee] [+\\x2D]? [0-9]{1,2})?
                """);
    }

    @Test
    void anObjectWithOnlyOptionalPropertiesChoosesItsFirstOne() {
        String gbnf = JsonSchemaGrammar.toGbnf("""
                {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}}}""");
        assertThat(gbnf).startsWith("root ::= \"{\" ws ((\"\\\"a\\\":\" ws boolean (\",\" ws \"\\\"b\\\":\" ws null)?)"
                + " | (\"\\\"b\\\":\" ws null))? \"}\"\n");
        assertSentences("""
                {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}}}""")
                .contains("{}", "{\"a\":true}", "{\"b\":null}", "{\"a\":false,\"b\":null}");
    }

    @Test
    void stringsAreJsonStringsWithEscapesButNoRawControlCharacters() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\"}")).isEqualTo("""
                root ::= string
                string ::= "\\"" char* "\\""
                """ + CHAR);
    }

    @Test
    void lengthLimitsCountCharactersNotEscapes() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 5}"))
                .startsWith("root ::= \"\\\"\" char{2,5} \"\\\"\"\n");
        assertValid("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 5}");
    }

    @Test
    void patternsBecomeGrammarsOverJsonText() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"pattern\": \"^[A-Z]{2}-\\\\d{3}$\"}"))
                .isEqualTo("root ::= \"\\\"\" [A-Z]{2} \"-\" [0-9]{3} \"\\\"\"\n");
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"pattern\": \"a\\\"b|\\\\\\\\\"}"))
                .isEqualTo("root ::= \"\\\"\" (\"a\\\\\\\"b\" | \"\\\\\\\\\") \"\\\"\"\n");
        assertValid("{\"type\": \"string\", \"pattern\": \"^(\\\\w+\\\\.)*[a-z]{2,}(:\\\\d{1,5})?$\"}");
    }

    @Test
    void anUnanchoredPatternIsGeneratedAsAWholeMatch() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"pattern\": \"ab+\"}"))
                .isEqualTo(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"pattern\": \"^ab+$\"}"));
    }

    @Test
    void aPatternWithMinAndMaxLengthThatItImpliesIsAccepted() {
        assertValid("{\"type\": \"string\", \"pattern\": \"^[0-9]{4}$\", \"minLength\": 4, \"maxLength\": 10}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"date", "time", "date-time", "uuid", "ipv4"})
    void formatsProduceValidValues(String format) {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"format\": \"" + format + "\"}"))
                .startsWith("root ::= \"\\\"\" " + format + " \"\\\"\"\n");
        assertValid("{\"type\": \"string\", \"format\": \"" + format + "\"}");
    }

    @Test
    void integersHaveNoLeadingZerosAndRangesAreExact() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"integer\"}")).isEqualTo("""
                root ::= integer
                integer ::= "0" | ("-"? [1-9] [0-9]{0,14})
                """);
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"integer\", \"minimum\": -5, \"maximum\": 250}"))
                .isEqualTo("root ::= [0-9] | ([1-9] [0-9]) | (\"1\" [0-9]{2}) | (\"2\" (([0-4] [0-9]) | \"50\"))"
                        + " | (\"-\" [1-5])\n");
        assertSentences("{\"type\": \"integer\", \"exclusiveMinimum\": 7, \"exclusiveMaximum\": 11}")
                .containsExactlyInAnyOrder("8", "9", "10");
    }

    @Test
    void numberRangesAreExactAndHaveNoExponent() {
        for (String schema : List.of(
                "{\"type\": \"number\", \"minimum\": -40, \"maximum\": 125.5}",
                "{\"type\": \"number\", \"exclusiveMinimum\": 0, \"maximum\": 1}",
                "{\"type\": \"number\", \"minimum\": 0.25, \"exclusiveMaximum\": 0.2501}",
                "{\"type\": \"number\", \"exclusiveMinimum\": -0.5, \"exclusiveMaximum\": -0.25}",
                "{\"type\": \"number\", \"minimum\": 1317.05}",
                "{\"type\": \"number\", \"exclusiveMaximum\": -2.5}",
                "{\"type\": \"number\", \"minimum\": 3, \"maximum\": 3}")) {
            assertValid(schema);
            assertThat(sentences(schema, 200)).allSatisfy(s -> assertThat(s).doesNotContainIgnoringCase("e"));
        }
        assertSentences("{\"type\": \"number\", \"minimum\": 3, \"maximum\": 3}").contains("3", "3.0");
    }

    @Test
    void integerRangesAcrossManyLengthsAreExact() {
        assertValid("{\"type\": \"integer\", \"minimum\": 98, \"maximum\": 100003}");
        assertValid("{\"type\": \"integer\", \"minimum\": -100003, \"maximum\": -98}");
        assertValid("{\"type\": \"integer\", \"minimum\": 1.5, \"exclusiveMaximum\": 4.5}");
        assertValid("{\"type\": \"integer\", \"minimum\": 999999999999990}");
    }

    @Test
    void enumAndConstAreTheirExactJsonText() {
        assertThat(JsonSchemaGrammar.toGbnf("""
                {"enum": ["on", 1.50, null, {"a": [true]}, "quote\\"d"]}""")).isEqualTo("""
                root ::= "\\"on\\"" | "1.50" | "null" | "{\\"a\\":[true]}" | "\\"quote\\\\\\"d\\""
                """);
        assertThat(JsonSchemaGrammar.toGbnf("{\"const\": \"x\", \"type\": \"string\"}"))
                .isEqualTo("root ::= \"\\\"x\\\"\"\n");
        assertThat(JsonSchemaGrammar.toGbnf("{\"enum\": [\"a\", 2.0], \"type\": \"integer\"}"))
                .isEqualTo("root ::= \"2\"\n");
        assertValid("{\"enum\": [1.0, 2.50, 3], \"type\": \"integer\"}");
    }

    @Test
    void arraysRepeatTheirItemsWithinMinAndMaxItems() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"array\", \"items\": {\"type\": \"boolean\"}, "
                + "\"minItems\": 1, \"maxItems\": 3}")).isEqualTo("""
                root ::= "[" ws boolean ("," ws boolean){0,2} "]"
                boolean ::= "true" | "false"
                """ + WS);
        assertSentences("{\"type\": \"array\", \"items\": {\"const\": 0}, \"maxItems\": 2}")
                .containsExactlyInAnyOrder("[]", "[0]", "[0,0]");
    }

    @Test
    void prefixItemsAreATupleWithNoMoreItemsUnlessItemsAllowsThem() {
        assertSentences("{\"type\": \"array\", \"prefixItems\": [{\"const\": 1}, {\"const\": 2}], \"minItems\": 1}")
                .containsExactlyInAnyOrder("[1]", "[1,2]");
        assertSentences("{\"type\": \"array\", \"prefixItems\": [{\"const\": 1}], \"items\": {\"const\": 9}, "
                + "\"maxItems\": 3}").containsExactlyInAnyOrder("[]", "[1]", "[1,9]", "[1,9,9]");
    }

    @Test
    void anyValueWhenThereIsNoType() {
        assertThat(JsonSchemaGrammar.toGbnf("{}")).startsWith("root ::= value\nvalue ::= object | array | string | "
                + "number | boolean | null\n");
        assertThat(JsonSchemaGrammar.toGbnf("true")).isEqualTo(JsonSchemaGrammar.toGbnf("{}"));
        assertValid("{\"type\": \"object\"}");
        assertValid("{\"type\": \"array\"}");
        assertValid("{\"description\": \"anything\", \"title\": \"x\", \"examples\": [1], \"default\": 2}");
    }

    @Test
    void keywordsOfATypeTheSchemaDoesNotAllowDoNotMatter() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"boolean\", \"minLength\": 9, \"maxLength\": 1}"))
                .startsWith("root ::= boolean\n");
    }

    @Test
    void aListOfTypesAllowsEach() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": [\"string\", \"null\"], \"maxLength\": 2}"))
                .startsWith("root ::= (\"\\\"\" char{0,2} \"\\\"\") | null\n");
    }

    @Test
    void additionalPropertiesFalseTrueOrASchema() {
        assertSentences("{\"type\": \"object\", \"properties\": {\"a\": {\"const\": 1}}, "
                + "\"additionalProperties\": false}")
                .containsExactlyInAnyOrder("{}", "{\"a\":1}");
        assertValid("{\"properties\": {\"a\": {\"const\": 1}}, \"additionalProperties\": {\"type\": \"integer\"}}");
        assertValid("{\"properties\": {\"a\": {\"const\": 1}, \"ab\": {\"const\": 2}}, "
                + "\"additionalProperties\": {\"const\": 3}}");
        assertValid("{\"type\": \"object\", \"additionalProperties\": true, \"minProperties\": 0}");
    }

    @Test
    void extraPropertiesNeverRepeatADeclaredName() {
        String schema = "{\"type\": \"object\", \"properties\": {\"id\": {\"const\": 1}, \"i\": {\"const\": 2}}, "
                + "\"additionalProperties\": {\"const\": 3}}";
        assertThat(sentences(schema, 2000)).noneMatch(s -> s.matches(".*\"(id|i)\":3.*"));
    }

    @Test
    void minAndMaxPropertiesCountTheDeclaredOnes() {
        assertSentences("{\"type\": \"object\", \"properties\": {\"a\": {\"const\": 1}, \"b\": {\"const\": 2}, "
                + "\"c\": {\"const\": 3}}, \"minProperties\": 2, \"maxProperties\": 2}")
                .containsExactlyInAnyOrder("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":3}", "{\"b\":2,\"c\":3}");
        assertValid("{\"properties\": {\"a\": {\"const\": 1}}, \"additionalProperties\": {\"const\": 0}, "
                + "\"maxProperties\": 3}");
    }

    @Test
    void aRequiredPropertyThatIsNotDeclaredTakesAnyValue() {
        assertValid("{\"type\": \"object\", \"required\": [\"id\"]}");
        assertThat(sentences("{\"type\": \"object\", \"required\": [\"id\"]}", 100))
                .allSatisfy(s -> assertThat(s).startsWith("{\"id\":"));
    }

    @Test
    void anyOfAndOneOfAreAlternatives() {
        assertSentences("{\"anyOf\": [{\"const\": 1}, {\"const\": \"1\"}, {\"const\": 1}]}")
                .containsExactlyInAnyOrder("1", "\"1\"");
        assertValid("""
                {"oneOf": [
                  {"type": "object", "properties": {"kind": {"const": "led"}, "on": {"type": "boolean"}},
                   "required": ["kind", "on"], "additionalProperties": false},
                  {"type": "object", "properties": {"kind": {"const": "servo"}, "angle": {"type": "integer",
                   "minimum": 0, "maximum": 180}}, "required": ["kind", "angle"], "additionalProperties": false}]}""");
        assertValid("{\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}, {\"enum\": [true, null]}]}");
    }

    @Test
    void siblingKeywordsApplyToEveryAlternative() {
        assertSentences("{\"type\": \"string\", \"anyOf\": [{\"const\": \"a\"}, {\"const\": 1}, {\"const\": \"b\"}]}")
                .containsExactlyInAnyOrder("\"a\"", "\"b\"");
    }

    @Test
    void allOfMergesObjectSchemas() {
        String schema = """
                {"allOf": [
                  {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}}, "required": ["a"]},
                  {"properties": {"a": {"maximum": 3}, "b": {"const": true}}, "required": ["b"]}]}""";
        assertValid(schema);
        assertThat(sentences(schema, 300)).allSatisfy(s -> assertThat(s).matches("\\{\"a\":[0-3],\"b\":true}"));
    }

    @Test
    void allOfRespectsEachPartsAdditionalPropertiesFalse() {
        assertSentences("""
                {"type": "object", "allOf": [
                  {"properties": {"a": {"const": 1}, "b": {"const": 2}}, "additionalProperties": false},
                  {"properties": {"b": {"const": 2}, "c": {"const": 3}}}]}""")
                .containsExactlyInAnyOrder("{}", "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}");
    }

    @Test
    void refsToDefsDefinitionsAndTheRootShareOneRule() {
        String gbnf = JsonSchemaGrammar.toGbnf("""
                {"$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}},
                                     "required": ["x"], "additionalProperties": false}},
                 "type": "object",
                 "properties": {"from": {"$ref": "#/$defs/point"}, "to": {"$ref": "#/$defs/point"}},
                 "required": ["from", "to"]}""");
        assertThat(gbnf).startsWith("root ::= \"{\" ws \"\\\"from\\\":\" ws point \",\" ws \"\\\"to\\\":\" ws point "
                + "\"}\"\n").contains("\npoint ::= \"{\" ws \"\\\"x\\\":\" ws integer \"}\"\n");
        assertValid("{\"definitions\": {\"n\": {\"type\": \"integer\"}}, \"items\": {\"$ref\": \"#/definitions/n\"}, "
                + "\"type\": \"array\"}");
    }

    @Test
    void recursiveSchemasWhoseRecursionIsOptionalAreAllowed() {
        String schema = """
                {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3},
                 "children": {"type": "array", "items": {"$ref": "#"}, "maxItems": 2}}, "required": ["name"]}""";
        assertThat(JsonSchemaGrammar.toGbnf(schema)).contains("(\",\" ws \"\\\"children\\\":\" ws root-children)?")
                .contains("\nroot-children ::= \"[\" ws (root (\",\" ws root)?)? \"]\"\n");
        assertValid(schema);
        assertValid("""
                {"$ref": "#/$defs/list", "$defs": {"list": {"anyOf": [{"type": "null"},
                 {"type": "object", "properties": {"head": {"type": "integer"}, "tail": {"$ref": "#/$defs/list"}},
                  "required": ["head", "tail"], "additionalProperties": false}]}}}""");
    }

    @Test
    void whiteSpaceIsBounded() {
        assertThat(JsonSchemaGrammar.toGbnf("{\"type\": \"array\", \"items\": {\"type\": \"null\"}}"))
                .contains(WS).doesNotContain("ws*").doesNotContain("ws+");
    }

    @Test
    void propertyNamesAreWrittenAsJsonAndRuleNamesAreSafe() {
        String schema = "{\"type\": \"object\", \"properties\": {\"a b/\\\"c\\\\\": {\"type\": \"object\", "
                + "\"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 1}}}}, "
                + "\"required\": [\"a b/\\\"c\\\\\"]}";
        String gbnf = JsonSchemaGrammar.toGbnf(schema);
        assertThat(gbnf).contains("\"\\\"a b/\\\\\\\"c\\\\\\\\\\\":\"").contains("\nroot-a-b-c- ::= ");
        assertValid(schema);
    }

    @Test
    void theSameSchemaAlwaysGivesTheSameGrammar() {
        String schema = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"$ref\": "
                + "\"#/properties/a\"}}, \"additionalProperties\": {\"type\": \"string\"}}";
        assertThat(JsonSchemaGrammar.toGbnf(schema)).isEqualTo(JsonSchemaGrammar.toGbnf(schema));
    }

    /** 500 random sentences of the schema's grammar validate. */
    private static void assertValid(String schema) {
        SchemaValidator validator = new SchemaValidator(schema);
        for (String sentence : sentences(schema, 500)) {
            assertThat(validator.errors(sentence)).as("%s for %s", sentence, schema).isEmpty();
        }
    }

    /** The distinct sentences of a small grammar (after validating them). */
    private static IterableAssert<String> assertSentences(String schema) {
        assertValid(schema);
        Iterable<String> distinct = new HashSet<>(sentences(schema, 500));
        return assertThat(distinct);
    }

    /** Random sentences, without the optional white space, to compare them with compact JSON. */
    private static List<String> sentences(String schema, int count) {
        Sentences sentences = new Sentences(JsonSchemaGrammar.compile(schema), new SplittableRandom(count));
        return Stream.generate(sentences::next).limit(count).map(JsonSchemaGrammarTest::withoutWhiteSpace).toList();
    }

    /** The JSON text without white space outside strings. */
    static String withoutWhiteSpace(String json) {
        StringBuilder out = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString || " \n\t\r".indexOf(c) < 0) {
                out.append(c);
            }
            if (c == '"' && (!inString || json.charAt(i - 1) != '\\' || escapedBackslash(json, i - 1))) {
                inString = !inString;
            }
        }
        return out.toString();
    }

    /** Whether the backslash at i is itself escaped (preceded by an odd number of backslashes). */
    private static boolean escapedBackslash(String json, int i) {
        int count = 0;
        while (i - count >= 0 && json.charAt(i - count) == '\\') {
            count++;
        }
        return count % 2 == 0;
    }
}
