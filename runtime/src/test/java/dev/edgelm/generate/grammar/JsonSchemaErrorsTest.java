package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every schema the converter cannot honour fails before generation with a {@link GrammarException} that says what
 * is wrong and where (a JSON pointer).
 */
class JsonSchemaErrorsTest {

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("{\"type\": ", "the JSON Schema is not valid JSON: "),
                Arguments.of("{} []", "the JSON Schema is not valid JSON: "),
                Arguments.of("{\"type\": \"string\", \"type\": \"integer\"}", "Duplicate field 'type'"),
                Arguments.of("", "the JSON Schema is empty"),
                Arguments.of("3", "at #: a schema must be an object or a boolean, got 3"),
                Arguments.of("{\"properties\": {\"a\": 3}}", "at #/properties/a: a schema must be an object or a "
                        + "boolean, got 3"),
                Arguments.of("{\"type\": \"text\"}", "at #/type: unknown type \"text\""),
                Arguments.of("{\"enum\": 1}", "at #/enum: enum must be an array"),
                Arguments.of("{\"minLength\": -1}", "at #/minLength: minLength must be a non-negative integer, got -1"),
                Arguments.of("{\"maxItems\": 1.5}", "at #/maxItems: maxItems must be a non-negative integer, got 1.5"),
                Arguments.of("{\"minimum\": \"3\"}", "at #/minimum: minimum must be a number, got \"3\""),
                Arguments.of("{\"required\": [\"a\", 1]}", "at #/required: required must be an array of strings"),
                Arguments.of("{\"required\": [\"a\", \"a\"]}", "at #/required: \"a\" is required twice"),
                Arguments.of("{\"anyOf\": []}", "at #/anyOf: anyOf must be a non-empty array of schemas"),
                Arguments.of("{\"pattern\": 3}", "at #/pattern: pattern must be a string"));
    }

    @ParameterizedTest
    @MethodSource
    void malformed(String schema, String message) {
        assertFails(schema, message);
    }

    static Stream<Arguments> unsatisfiable() {
        return Stream.of(
                Arguments.of("false", "at #: no value satisfies the schema (it is false)"),
                Arguments.of("{\"type\": []}", "at #: \"type\": [] allows no value"),
                Arguments.of("{\"enum\": []}", "at #: \"enum\": [] allows no value"),
                Arguments.of("{\"const\": 1, \"type\": \"string\"}", "at #: const 1 has the type \"string\""),
                Arguments.of("{\"enum\": [\"a\", true], \"type\": [\"integer\", \"null\"]}",
                        "at #: no value of enum [\"a\",true] has the type [\"integer\",\"null\"]"),
                Arguments.of("{\"enum\": [1, 2], \"const\": 3}", "at #: const 3 is not in enum"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"temp\": {\"type\": \"number\", "
                        + "\"minimum\": 30, \"maximum\": 10}}}", "at #/properties/temp: minimum 30 is greater than "
                        + "maximum 10"),
                Arguments.of("{\"type\": \"integer\", \"exclusiveMinimum\": 1, \"exclusiveMaximum\": 2}",
                        "at #: no integer of at most 15 digits satisfies exclusiveMinimum 1 and exclusiveMaximum 2"),
                Arguments.of("{\"type\": \"integer\", \"minimum\": 1e15}", "at #: no integer of at most 15 digits "
                        + "satisfies minimum 1000000000000000"),
                Arguments.of("{\"type\": \"number\", \"minimum\": 2, \"exclusiveMaximum\": 2}",
                        "at #: no number of at most 15 digits satisfies minimum 2 and exclusiveMaximum 2"),
                Arguments.of("{\"type\": \"string\", \"minLength\": 5, \"maxLength\": 3}",
                        "at #: minLength 5 is greater than maxLength 3"),
                Arguments.of("{\"type\": \"string\", \"allOf\": [{\"minLength\": 5}, {\"maxLength\": 3}]}",
                        "at #: minLength 5 (at #/allOf/0) is greater than maxLength 3 (at #/allOf/1)"),
                Arguments.of("{\"type\": \"array\", \"minItems\": 4, \"maxItems\": 2}",
                        "at #: minItems 4 is greater than maxItems 2"),
                Arguments.of("{\"type\": \"array\", \"prefixItems\": [{}], \"items\": false, \"minItems\": 2}",
                        "at #: minItems 2 cannot be met: at most 1 items can be valid"),
                Arguments.of("{\"type\": \"array\", \"items\": false, \"minItems\": 1}",
                        "at #: minItems 1 cannot be met: at most 0 items can be valid"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {}}, \"required\": [\"b\"], "
                        + "\"additionalProperties\": false}", "at #/required: required property \"b\" can have no "
                        + "valid value"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": false}, \"required\": [\"a\"]}",
                        "at #/required: required property \"a\" can have no valid value"),
                Arguments.of("{\"type\": \"object\", \"minProperties\": 3, \"maxProperties\": 1}",
                        "at #: minProperties 3 is greater than maxProperties 1"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"a\": {}, \"b\": {}}, \"required\": [\"a\", "
                        + "\"b\"], \"maxProperties\": 1}", "at #: 2 required properties but maxProperties 1"),
                Arguments.of("{\"type\": \"object\", \"minProperties\": 1}", "at #: minProperties 1 cannot be met by "
                        + "the 0 declared properties (extra properties do not count"),
                Arguments.of("{\"type\": \"string\", \"pattern\": \"^[^\\\\s\\\\S]$\"}", "at #/pattern: pattern "
                        + "\"^[^\\\\s\\\\S]$\" matches no string that JSON text can hold"),
                Arguments.of("{\"type\": \"object\", \"properties\": {\"next\": {\"$ref\": \"#\"}}, "
                        + "\"required\": [\"next\"]}", "at #: no finite value satisfies the schema: every value would "
                        + "have to contain another one"),
                Arguments.of("{\"type\": \"string\", \"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}",
                        "at #: no value satisfies the schema"));
    }

    @ParameterizedTest
    @MethodSource
    void unsatisfiable(String schema, String message) {
        assertFails(schema, message);
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of("{\"not\": {\"type\": \"null\"}}", "at #/not: keyword 'not' is not supported"),
                Arguments.of("{\"if\": {}, \"then\": {}}", "at #/if: keyword 'if' is not supported"),
                Arguments.of("{\"type\": \"number\", \"multipleOf\": 0.5}",
                        "at #/multipleOf: keyword 'multipleOf' is not supported"),
                Arguments.of("{\"uniqueItems\": true}", "at #/uniqueItems: uniqueItems: true is not supported"),
                Arguments.of("{\"patternProperties\": {}}", "at #/patternProperties: keyword 'patternProperties' is "
                        + "not supported"),
                Arguments.of("{\"propertyNames\": {}}", "keyword 'propertyNames' is not supported"),
                Arguments.of("{\"contains\": {}}", "keyword 'contains' is not supported"),
                Arguments.of("{\"unevaluatedProperties\": false}", "keyword 'unevaluatedProperties' is not supported"),
                Arguments.of("{\"dependentRequired\": {}}", "keyword 'dependentRequired' is not supported"),
                Arguments.of("{\"properties\": {\"a\": {\"maxLenght\": 3}}}",
                        "at #/properties/a/maxLenght: keyword 'maxLenght' is not supported"),
                Arguments.of("{\"type\": \"string\", \"format\": \"email\"}", "at #/format: format \"email\" is not "
                        + "supported (supported: date, date-time, ipv4, time, uuid)"),
                Arguments.of("{\"type\": \"integer\", \"format\": \"int32\"}", "format \"int32\" is not supported"),
                Arguments.of("{\"minimum\": 0, \"exclusiveMinimum\": true}", "at #/exclusiveMinimum: a boolean "
                        + "exclusiveMinimum (draft 4) is not supported"),
                Arguments.of("{\"items\": [{}, {}]}", "at #/items: items as an array (a draft 2019-09 tuple) is not "
                        + "supported; use prefixItems"),
                Arguments.of("{\"type\": \"number\", \"exclusiveMaximum\": 0.1000000000000000001}",
                        "at #: exclusiveMaximum 0.1000000000000000001 has more than 15 significant digits"),
                Arguments.of("{\"$ref\": \"#/$defs/missing\"}", "at #/$ref: $ref \"#/$defs/missing\" points to "
                        + "nothing in the schema"),
                Arguments.of("{\"$ref\": \"https://example.com/s.json\"}", "at #/$ref: $ref "
                        + "\"https://example.com/s.json\" is not supported: only references within the schema"),
                Arguments.of("{\"$ref\": \"#point\"}", "$ref \"#point\" is not supported"),
                Arguments.of("{\"$defs\": {\"a\": {\"allOf\": [{\"$ref\": \"#/$defs/a\"}]}}, \"$ref\": \"#/$defs/a\"}",
                        "at #/$defs/a/allOf/0/$ref: $ref \"#/$defs/a\" refers back to itself with no object or array "
                        + "in between"),
                Arguments.of("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}}, "
                        + "\"$ref\": \"#/$defs/a\"}", "$ref cycle with no schema in it"),
                Arguments.of("{\"type\": \"string\", \"enum\": [\"a\", \"bb\"], \"minLength\": 2}",
                        "at #: enum/const together with other string keywords is not supported"),
                Arguments.of("{\"oneOf\": [{\"type\": \"number\"}, {\"type\": \"integer\"}]}", "at #/oneOf: branches 0 "
                        + "and 1 may both match one value, which oneOf forbids; use anyOf"),
                Arguments.of("{\"oneOf\": [{\"type\": \"object\"}, {\"type\": \"object\", \"required\": [\"a\"]}]}",
                        "at #/oneOf: branches 0 and 1 may both match one value"),
                Arguments.of("{\"type\": \"string\", \"allOf\": [{\"pattern\": \"a\"}, {\"pattern\": \"b\"}]}",
                        "at #: several patterns/formats for one string (a, b) are not supported"),
                Arguments.of("{\"type\": \"string\", \"pattern\": \"^a+$\", \"maxLength\": 3}", "at #: minLength/"
                        + "maxLength with pattern ^a+$ is supported only when the pattern's own lengths (1 to "
                        + "unlimited) lie within them"),
                Arguments.of("{\"type\": \"string\", \"format\": \"date\", \"maxLength\": 8}", "at #: minLength/"
                        + "maxLength with format date is supported only when the format's own lengths (10 to 10)"),
                Arguments.of(nested(9), "more than 256 branches"));
    }

    @ParameterizedTest
    @MethodSource
    void unsupported(String schema, String message) {
        assertFails(schema, message);
    }

    static Stream<Arguments> patterns() {
        return Stream.of(
                Arguments.of("[a-", "is not a valid regular expression"),
                Arguments.of("(?=a)b", "group syntax '(?=' (lookaround, named group or flags) is not supported"),
                Arguments.of("(?<n>a)", "group syntax '(?<'"),
                Arguments.of("(?i)a", "group syntax '(?i'"),
                Arguments.of("(a)\\\\1", "'\\1' (back-reference or octal escape) is not supported"),
                Arguments.of("\\\\bword", "word boundary '\\b' is not supported"),
                Arguments.of("a*?", "lazy or possessive quantifier '*?' is not supported"),
                Arguments.of("a++", "lazy or possessive quantifier '++' is not supported"),
                Arguments.of("a^b", "anchor '^' inside the pattern is not supported"),
                Arguments.of("(a$)", "anchor '$' inside the pattern is not supported"),
                Arguments.of("\\\\p{L}", "escape '\\p' is not supported"),
                Arguments.of("\\\\v", "escape '\\v' is not supported"),
                Arguments.of("[a[b]]", "nested class or class intersection"),
                Arguments.of("[a&&b]", "nested class or class intersection"),
                Arguments.of("[\\\\d-z]", "class range starting at a class escape"),
                Arguments.of("a{1,100000}", "repetition count 100000 (at most 10000) is not supported"),
                Arguments.of("x{2,1}", "is not a valid regular expression"),
                Arguments.of("a]", "unescaped ']' (escape it as \\]) is not supported"));
    }

    @ParameterizedTest
    @MethodSource
    void patterns(String pattern, String message) {
        assertFails("{\"type\": \"string\", \"pattern\": \"" + pattern + "\"}", message);
    }

    @Test
    void theMessageNamesThePointerOfANestedPattern() {
        assertFails("{\"type\": \"object\", \"properties\": {\"code/x\": {\"type\": \"string\", "
                + "\"pattern\": \"(?!x)\"}}}",
                "at #/properties/code~1x/pattern: pattern \"(?!x)\": group syntax '(?!'");
    }

    @Test
    void unsatisfiableAlternativesAreDroppedWhenOthersRemain() {
        JsonSchemaGrammar.toGbnf("{\"type\": \"string\", \"anyOf\": [{\"type\": \"integer\"}, {\"maxLength\": 2}]}");
        JsonSchemaGrammar.toGbnf("{\"type\": \"object\", \"properties\": {\"a\": false, \"b\": {}}}");
    }

    /** allOf of n anyOfs of two alternatives each: 2^n branches. */
    private static String nested(int n) {
        String anyOf = "{\"anyOf\": [{\"minLength\": 1}, {\"maxLength\": 9}]}";
        return "{\"allOf\": [" + String.join(", ", java.util.Collections.nCopies(n, anyOf)) + "]}";
    }

    private static void assertFails(String schema, String message) {
        assertThatThrownBy(() -> JsonSchemaGrammar.toGbnf(schema)).isInstanceOf(GrammarException.class)
                .hasMessageContaining(message);
    }
}
