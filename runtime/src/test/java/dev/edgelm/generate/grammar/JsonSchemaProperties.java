package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.SchemaException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Property tests of the JSON Schema converter against a real validator (networknt, draft 2020-12): on seeded random
 * schemas over the supported keywords,
 * <ul>
 * <li>valid instances in canonical form, compact and with the allowed white space, are in the grammar;</li>
 * <li>random sentences of the grammar (adversarial choices) validate, and the GBNF engine accepts them;</li>
 * <li>random mutations of valid instances that the engine accepts validate;</li>
 * <li>randomly broken schemas either convert (and then stay sound) or fail with a {@link GrammarException}.</li>
 * </ul>
 * Reproduce a failure with {@code -Djsonschema.seed=SEED} (the failure message gives it); {@code -Djsonschema.cases=N}
 * runs more schemas.
 */
class JsonSchemaProperties {
    private static final int CASES = Integer.getInteger("jsonschema.cases", 500);
    private static final int SAMPLES = 12;

    @Test
    void everyTextTheGrammarAcceptsValidatesAndValidInstancesAreAccepted() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        int[] counts = new int[3];
        for (int i = 0; i < CASES; i++) {
            long caseSeed = random.nextLong();
            RandomSchemas.Case schema = new RandomSchemas(new SplittableRandom(caseSeed)).next();
            try {
                check(schema, new SplittableRandom(caseSeed ^ 0x5DEECE66DL), counts);
            } catch (AssertionError | RuntimeException e) {
                fail("seed " + seed + ", case " + i + " (-Djsonschema.seed=" + seed + "): " + e.getMessage()
                        + "\nschema: " + schema.schema() + "\ngrammar:\n" + gbnfOrError(schema.schema()), e);
            }
        }
        System.out.printf("JSON Schema properties: seed %d, %d schemas, %d instances, %d sentences, "
                + "%d accepted mutations%n", seed, CASES, counts[0], counts[1], counts[2]);
        assertThat(counts[2]).as("some mutations are accepted, so the soundness check has teeth").isPositive();
    }

    private static void check(RandomSchemas.Case schema, SplittableRandom random, int[] counts) {
        GbnfRules rules = JsonSchemaGrammar.compile(schema.schema());
        Grammar grammar = Grammar.parse(rules.render());
        SchemaValidator validator = new SchemaValidator(schema.schema());
        List<String> instances = new ArrayList<>();
        for (int k = 0; k < SAMPLES; k++) {
            RandomSchemas.Json instance = schema.instances().apply(random);
            String compact = instance.compact();
            assertThat(validator.errors(compact)).as("the generator's instance %s validates", compact).isEmpty();
            assertThat(grammar.accepts(compact)).as("the grammar accepts the valid instance %s", compact).isTrue();
            StringBuilder spaced = new StringBuilder();
            instance.write(spaced, whiteSpace(random));
            assertThat(grammar.accepts(spaced.toString())).as("the grammar accepts %s", spaced).isTrue();
            instances.add(compact);
            counts[0]++;
        }
        Sentences sentences = new Sentences(rules, random);
        for (int k = 0; k < SAMPLES; k++) {
            String sentence = sentences.next();
            assertThat(validator.errors(sentence)).as("the sentence %s validates", sentence).isEmpty();
            assertThat(grammar.accepts(sentence)).as("the engine accepts the sentence %s", sentence).isTrue();
            instances.add(sentence);
            counts[1]++;
        }
        for (int k = 0; k < 4 * SAMPLES; k++) {
            String mutant = mutate(instances.get(random.nextInt(instances.size())), random);
            if (grammar.accepts(mutant)) {
                assertThat(validator.errors(mutant)).as("the accepted mutant %s validates", mutant).isEmpty();
                counts[2]++;
            }
        }
    }

    @Test
    void brokenSchemasFailCleanlyOrStaySound() {
        long seed = Long.getLong("jsonschema.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        int rejected = 0;
        for (int i = 0; i < CASES; i++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            String schema = breakSchema(new RandomSchemas(r).next().schema(), r);
            GbnfRules rules;
            try {
                rules = JsonSchemaGrammar.compile(schema);
            } catch (GrammarException e) {
                assertThat(e.getMessage()).as("seed %d, case %d: %s", seed, i, schema).isNotBlank();
                rejected++;
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + ", case " + i + ": not a GrammarException for " + schema, e);
            }
            try {
                Grammar grammar = Grammar.parse(rules.render());
                SchemaValidator validator;
                try {
                    validator = new SchemaValidator(schema);
                } catch (SchemaException e) {
                    continue; // the broken schema breaks the validator's own rules, in a part the grammar never uses
                }
                Sentences sentences = new Sentences(rules, r);
                for (int k = 0; k < SAMPLES; k++) {
                    String sentence = sentences.next();
                    assertThat(validator.errors(sentence)).as("the sentence %s validates", sentence).isEmpty();
                    assertThat(grammar.accepts(sentence)).as("the engine accepts %s", sentence).isTrue();
                }
            } catch (AssertionError | RuntimeException e) {
                fail("seed " + seed + ", case " + i + " (-Djsonschema.seed=" + seed + "): " + e.getMessage()
                        + "\nschema: " + schema + "\ngrammar:\n" + gbnfOrError(schema), e);
            }
        }
        System.out.printf("JSON Schema breakage: seed %d, %d schemas, %d rejected%n", seed, CASES, rejected);
        assertThat(rejected).as("most broken schemas are rejected").isPositive();
    }

    /** The optional white space the grammar allows after { [ , and : (none, a space, or a newline and indent). */
    private static Supplier<String> whiteSpace(SplittableRandom random) {
        return () -> switch (random.nextInt(3)) {
            case 0 -> "";
            case 1 -> " ";
            default -> {
                StringBuilder indent = new StringBuilder("\n");
                for (int i = random.nextInt(SchemaCompiler.MAX_INDENT + 1); i > 0; i--) {
                    indent.append(random.nextBoolean() ? ' ' : '\t');
                }
                yield indent.toString();
            }
        };
    }

    private static final String[] INSERTS = {"\"", "\\", ",", ":", "{", "}", "[", "]", "0", "-", ".", "e", "1", " ",
        "\n", "null", "true", "\\u0041", "\\n", "a", "\u0000", "\uD83D\uDE00", "\"x\":1,", ",{}"};

    /** The text with one to three random edits. */
    private static String mutate(String text, SplittableRandom random) {
        StringBuilder out = new StringBuilder(text);
        for (int edits = random.nextInt(1, 4); edits > 0; edits--) {
            int at = random.nextInt(out.length() + 1);
            switch (random.nextInt(4)) {
                case 0 -> out.insert(at, INSERTS[random.nextInt(INSERTS.length)]);
                case 1 -> {
                    if (at < out.length()) {
                        out.deleteCharAt(at);
                    }
                }
                case 2 -> {
                    if (at < out.length()) {
                        out.setCharAt(at, INSERTS[random.nextInt(INSERTS.length)].charAt(0));
                    }
                }
                default -> {
                    int end = Math.min(out.length(), at + random.nextInt(1, 8));
                    out.insert(at, out.substring(at, end));
                }
            }
        }
        return out.toString();
    }

    private static final String[] KEYWORDS = {"minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength",
        "minItems", "maxItems", "minProperties", "maxProperties", "pattern", "format", "enum", "const", "type",
        "required", "additionalProperties", "items", "prefixItems", "$ref", "anyOf", "oneOf", "allOf", "not",
        "multipleOf", "uniqueItems", "patternProperties", "if", "unknownKeyword", "properties"};

    /** The schema with a random keyword of a random subschema set to a random (often wrong) value. */
    private static String breakSchema(String schema, SplittableRandom random) {
        try {
            JsonNode root = RandomSchemas.MAPPER.readTree(schema);
            List<ObjectNode> objects = new ArrayList<>();
            collect(root, objects);
            for (int edits = random.nextInt(1, 3); edits > 0; edits--) {
                ObjectNode target = objects.get(random.nextInt(objects.size()));
                String keyword = KEYWORDS[random.nextInt(KEYWORDS.length)];
                target.set(keyword, randomKeywordValue(random));
            }
            return RandomSchemas.text(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void collect(JsonNode node, List<ObjectNode> objects) {
        if (node instanceof ObjectNode object) {
            objects.add(object);
        }
        node.forEach(child -> collect(child, objects));
    }

    private static JsonNode randomKeywordValue(SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> RandomSchemas.MAPPER.getNodeFactory().numberNode(random.nextInt(-3, 12));
            case 1 -> RandomSchemas.MAPPER.getNodeFactory().numberNode(random.nextInt(-300, 300) / 7.0);
            case 2 -> RandomSchemas.MAPPER.getNodeFactory().textNode(
                    List.of("string", "integer", "object", "#", "#/$defs/none", "^[a-", "a{2,1}", "(?=x)", "email",
                            "date", "\\d+").get(random.nextInt(11)));
            case 3 -> RandomSchemas.MAPPER.getNodeFactory().booleanNode(random.nextBoolean());
            case 4 -> RandomSchemas.MAPPER.getNodeFactory().arrayNode();
            case 5 -> RandomSchemas.MAPPER.getNodeFactory().arrayNode().add("a").add("b");
            case 6 -> RandomSchemas.MAPPER.getNodeFactory().arrayNode().add(
                    RandomSchemas.MAPPER.getNodeFactory().objectNode().put("type", "string")).add(
                    RandomSchemas.MAPPER.getNodeFactory().objectNode().put("type", "string"));
            case 7 -> RandomSchemas.MAPPER.getNodeFactory().objectNode().put("$ref", "#");
            case 8 -> RandomSchemas.MAPPER.getNodeFactory().objectNode().put("minimum", 5).put("maximum", 1);
            case 9 -> RandomSchemas.MAPPER.getNodeFactory().nullNode();
            case 10 -> RandomSchemas.MAPPER.getNodeFactory().arrayNode().add(1).add("x").addNull();
            default -> RandomSchemas.MAPPER.getNodeFactory().objectNode();
        };
    }

    private static String gbnfOrError(String schema) {
        try {
            return JsonSchemaGrammar.toGbnf(schema);
        } catch (RuntimeException e) {
            return e.toString();
        }
    }
}
