package dev.edgelm.generate.grammar;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/**
 * A real JSON Schema validator (networknt, draft 2020-12, formats asserted), so that the grammar's output is judged
 * by something other than the grammar.
 */
final class SchemaValidator {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12, builder -> builder.schemaRegistryConfig(
                    SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    private final Schema schema;

    /** A validator for the schema; throws {@link com.networknt.schema.SchemaException} for an invalid schema. */
    SchemaValidator(String schemaJson) {
        this.schema = REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    }

    /** The validation errors of a JSON text (empty when it validates); a text that is not JSON throws. */
    List<String> errors(String json) {
        List<Error> errors = schema.validate(json, InputFormat.JSON);
        return errors.stream().map(Error::toString).toList();
    }
}
