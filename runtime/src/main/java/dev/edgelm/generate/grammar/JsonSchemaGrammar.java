package dev.edgelm.generate.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Converts a JSON Schema into a GBNF grammar whose every sentence is a JSON text that validates against the schema,
 * so that generation constrained by the grammar always ends in valid output.
 *
 * <p>The output is compact JSON: optional white space only after {@code { [ , :} (nothing, a space, or a newline
 * and up to 20 spaces or tabs, never unbounded), properties in declaration order
 * (required ones first), numbers without leading zeros. Keywords that would constrain values but that the grammar
 * cannot enforce are errors, never silently dropped; docs/structured-output.md lists the supported subset.
 */
public final class JsonSchemaGrammar {
    /** Reads schemas exactly: decimals as written, duplicate keys rejected; writes values as compact JSON. */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private JsonSchemaGrammar() {
    }

    /**
     * The GBNF grammar (start rule {@code root}) of the JSON texts that the schema accepts.
     *
     * @param schemaJson a JSON Schema (draft 2020-12; the subset in docs/structured-output.md)
     * @throws GrammarException if the schema is not valid JSON, uses an unsupported keyword or construct, or no
     *                          value satisfies it; the message names the JSON pointer of the offending part
     */
    public static String toGbnf(String schemaJson) {
        return compile(schemaJson).render();
    }

    /** The grammar as rules, for tests that walk it. */
    static GbnfRules compile(String schemaJson) {
        JsonNode schema;
        try {
            schema = MAPPER.readTree(schemaJson);
        } catch (JsonProcessingException e) {
            throw new GrammarException("the JSON Schema is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        if (schema == null || schema.isMissingNode()) {
            throw new GrammarException("the JSON Schema is empty");
        }
        return SchemaCompiler.compile(schema, MAPPER);
    }
}
