package dev.edgelm.generate.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelm.generate.grammar.Constraints.ArrayPart;
import dev.edgelm.generate.grammar.Constraints.JsonType;
import dev.edgelm.generate.grammar.Constraints.Keyword;
import dev.edgelm.generate.grammar.Constraints.Limit;
import dev.edgelm.generate.grammar.Constraints.NumberLimit;
import dev.edgelm.generate.grammar.Constraints.ObjectPart;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the keywords of one schema object into {@link Constraints}, checking each keyword's value. Every keyword is
 * either enforced, an annotation (ignored), or an error: nothing that constrains a value is silently dropped.
 */
final class SchemaKeywords {
    /** Keywords that do not constrain values. */
    static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "$anchor",
            "$dynamicAnchor", "$recursiveAnchor", "$vocabulary", "examples", "default", "readOnly", "writeOnly",
            "deprecated", "contentEncoding", "contentMediaType", "contentSchema", "$defs", "definitions");

    /** Keywords that combine subschemas, handled by the compiler. */
    static final Set<String> COMBINATORS = Set.of("$ref", "allOf", "anyOf", "oneOf");

    private static final Set<String> ENFORCED = Set.of("type", "enum", "const", "minLength", "maxLength", "pattern",
            "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "prefixItems",
            "minItems", "maxItems", "properties", "required", "additionalProperties", "minProperties",
            "maxProperties");

    private SchemaKeywords() {
    }

    /**
     * The constraints of a schema object's own keywords (combinators excluded).
     *
     * @throws GrammarException for an unknown or unsupported keyword, a malformed value, or keywords that
     *                          contradict each other within the object
     */
    static Constraints read(SubSchema schema) {
        JsonNode node = schema.node();
        for (String keyword : (Iterable<String>) node::fieldNames) {
            boolean known = ENFORCED.contains(keyword) || ANNOTATIONS.contains(keyword)
                    || COMBINATORS.contains(keyword) || keyword.startsWith("x-");
            if (keyword.equals("uniqueItems") && node.get(keyword).isBoolean()) {
                if (node.get(keyword).booleanValue()) {
                    throw unsupported(schema, keyword, "uniqueItems: true");
                }
            } else if (!known) {
                throw unsupported(schema, keyword, "keyword '" + keyword + "'");
            }
        }
        Set<JsonType> types = types(schema);
        List<JsonNode> values = values(schema, types);
        return new Constraints(schema.pointer(), types, values,
                count(schema, "minLength"), count(schema, "maxLength"), keyword(schema, "pattern"), formats(schema),
                number(schema, "minimum", "exclusiveMinimum"), number(schema, "maximum", "exclusiveMaximum"),
                arrays(schema), count(schema, "minItems"), count(schema, "maxItems"),
                objects(schema), required(schema), count(schema, "minProperties"), count(schema, "maxProperties"));
    }

    private static Set<JsonType> types(SubSchema schema) {
        JsonNode type = schema.node().get("type");
        if (type == null) {
            return EnumSet.allOf(JsonType.class);
        }
        List<JsonNode> names = type.isArray() ? listOf(type) : List.of(type);
        if (names.isEmpty()) {
            throw new GrammarException("at " + schema.pointer() + ": \"type\": [] allows no value");
        }
        EnumSet<JsonType> types = EnumSet.noneOf(JsonType.class);
        for (JsonNode name : names) {
            JsonType t = name.isTextual() ? typeNamed(name.textValue()) : null;
            if (t == null) {
                throw new GrammarException("at " + schema.at("type") + ": unknown type " + name
                        + " (expected object, array, string, number, integer, boolean or null)");
            }
            types.add(t);
        }
        if (types.contains(JsonType.NUMBER)) {
            types.add(JsonType.INTEGER);
        }
        return types;
    }

    private static JsonType typeNamed(String name) {
        for (JsonType t : JsonType.values()) {
            if (t.keyword().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The values allowed by enum and const, of the allowed types; null when neither keyword is present. */
    private static List<JsonNode> values(SubSchema schema, Set<JsonType> types) {
        JsonNode enumNode = schema.node().get("enum");
        JsonNode constNode = schema.node().get("const");
        if (enumNode == null && constNode == null) {
            return null;
        }
        List<JsonNode> values;
        if (enumNode != null) {
            if (!enumNode.isArray()) {
                throw new GrammarException("at " + schema.at("enum") + ": enum must be an array");
            }
            if (enumNode.isEmpty()) {
                throw new GrammarException("at " + schema.pointer() + ": \"enum\": [] allows no value");
            }
            values = listOf(enumNode);
            if (constNode != null) {
                values = values.stream().filter(v -> Constraints.jsonEquals(v, constNode)).toList();
                if (values.isEmpty()) {
                    throw new GrammarException("at " + schema.pointer() + ": const " + constNode + " is not in enum");
                }
            }
        } else {
            values = List.of(constNode);
        }
        List<JsonNode> typed = values.stream().filter(v -> Constraints.hasType(v, types)).toList();
        if (typed.isEmpty()) {
            throw new GrammarException("at " + schema.pointer() + ": " + (enumNode != null ? "no value of enum "
                    + enumNode : "const " + constNode) + " has the type " + schema.node().get("type"));
        }
        return typed;
    }

    /** A non-negative integer keyword, or null. */
    private static Limit count(SubSchema schema, String keyword) {
        JsonNode value = schema.node().get(keyword);
        if (value == null) {
            return null;
        }
        if (!value.isNumber() || !Constraints.isIntegral(value) || value.decimalValue().signum() < 0
                || value.decimalValue().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
            throw new GrammarException("at " + schema.at(keyword) + ": " + keyword
                    + " must be a non-negative integer, got " + value);
        }
        return new Limit(value.decimalValue().longValue(), keyword, schema.pointer());
    }

    /** The tighter of an inclusive and an exclusive numeric limit, or null. */
    private static NumberLimit number(SubSchema schema, String inclusive, String exclusive) {
        NumberLimit in = numberLimit(schema, inclusive, false);
        NumberLimit ex = numberLimit(schema, exclusive, true);
        if (in == null || ex == null) {
            return in == null ? ex : in;
        }
        int order = in.value().compareTo(ex.value());
        boolean lower = inclusive.equals("minimum");
        return order == 0 || (order < 0) == lower ? ex : in;
    }

    private static NumberLimit numberLimit(SubSchema schema, String keyword, boolean exclusive) {
        JsonNode value = schema.node().get(keyword);
        if (value == null) {
            return null;
        }
        if (value.isBoolean()) {
            throw new GrammarException("at " + schema.at(keyword) + ": a boolean " + keyword
                    + " (draft 4) is not supported; give the limit as a number (draft 6 and later)");
        }
        if (!value.isNumber()) {
            throw new GrammarException("at " + schema.at(keyword) + ": " + keyword + " must be a number, got "
                    + value);
        }
        return new NumberLimit(value.decimalValue(), exclusive, keyword, schema.pointer());
    }

    private static List<Keyword> keyword(SubSchema schema, String keyword) {
        JsonNode value = schema.node().get(keyword);
        if (value == null) {
            return List.of();
        }
        if (!value.isTextual()) {
            throw new GrammarException("at " + schema.at(keyword) + ": " + keyword + " must be a string");
        }
        return List.of(new Keyword(value.textValue(), schema.at(keyword)));
    }

    private static List<Keyword> formats(SubSchema schema) {
        List<Keyword> formats = keyword(schema, "format");
        for (Keyword format : formats) {
            if (!StringFormats.NAMES.contains(format.value())) {
                throw new GrammarException("at " + format.pointer() + ": format \"" + format.value()
                        + "\" is not supported (supported: " + StringFormats.NAMES.stream().sorted()
                        .collect(Collectors.joining(", ")) + ")");
            }
        }
        return formats;
    }

    private static List<ArrayPart> arrays(SubSchema schema) {
        JsonNode node = schema.node();
        if (!node.has("items") && !node.has("prefixItems")) {
            return List.of();
        }
        List<SubSchema> prefix = null;
        if (node.has("prefixItems")) {
            if (!node.get("prefixItems").isArray()) {
                throw new GrammarException("at " + schema.at("prefixItems") + ": prefixItems must be an array");
            }
            prefix = new ArrayList<>();
            for (int i = 0; i < node.get("prefixItems").size(); i++) {
                prefix.add(schemaAt(schema.child("prefixItems", i)));
            }
        }
        SubSchema items = null;
        if (node.has("items")) {
            if (node.get("items").isArray()) {
                throw new GrammarException("at " + schema.at("items") + ": items as an array (a draft 2019-09 tuple) "
                        + "is not supported; use prefixItems (draft 2020-12)");
            }
            items = schemaAt(schema.child("items"));
        }
        return List.of(new ArrayPart(prefix == null ? null : List.copyOf(prefix), items));
    }

    private static List<ObjectPart> objects(SubSchema schema) {
        JsonNode node = schema.node();
        if (!node.has("properties") && !node.has("additionalProperties")) {
            return List.of();
        }
        Map<String, SubSchema> properties = new LinkedHashMap<>();
        if (node.has("properties")) {
            JsonNode props = node.get("properties");
            if (!props.isObject()) {
                throw new GrammarException("at " + schema.at("properties") + ": properties must be an object");
            }
            SubSchema container = schema.child("properties");
            for (String name : (Iterable<String>) props::fieldNames) {
                properties.put(name, schemaAt(container.child(name)));
            }
        }
        SubSchema additional = node.has("additionalProperties") ? schemaAt(schema.child("additionalProperties"))
                : null;
        return List.of(new ObjectPart(properties, additional));
    }

    private static Map<String, String> required(SubSchema schema) {
        JsonNode node = schema.node().get("required");
        if (node == null) {
            return Map.of();
        }
        if (!node.isArray() || !listOf(node).stream().allMatch(JsonNode::isTextual)) {
            throw new GrammarException("at " + schema.at("required") + ": required must be an array of strings");
        }
        Map<String, String> required = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode name : node) {
            if (!seen.add(name.textValue())) {
                throw new GrammarException("at " + schema.at("required") + ": \"" + name.textValue()
                        + "\" is required twice");
            }
            required.put(name.textValue(), schema.at("required"));
        }
        return required;
    }

    /** A subschema, checked to be an object or a boolean. */
    static SubSchema schemaAt(SubSchema schema) {
        if (!schema.node().isObject() && !schema.node().isBoolean()) {
            throw new GrammarException("at " + schema.pointer() + ": a schema must be an object or a boolean, got "
                    + schema.node());
        }
        return schema;
    }

    static List<JsonNode> listOf(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }

    private static GrammarException unsupported(SubSchema schema, String keyword, String what) {
        return new GrammarException("at " + schema.at(keyword) + ": " + what + " is not supported");
    }
}
