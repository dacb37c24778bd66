package dev.edgelm.generate.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.stream.Stream;

/**
 * What one branch of a schema requires of a value: the keywords of a schema object, merged with those of its
 * {@code $ref}, {@code allOf} parts and one alternative of each {@code anyOf}/{@code oneOf}. Subschemas (properties,
 * items) stay unexpanded, as lists of the parts that must all hold. Merging only keeps the tighter of two limits;
 * the compiler reports limits that contradict each other. The limits (lengths, bounds, item and property counts)
 * are null when absent.
 *
 * @param pointer       the schema this branch belongs to
 * @param types         the allowed types ({@code NUMBER} implies {@code INTEGER})
 * @param values        the allowed values ({@code enum}/{@code const}), or null for any
 * @param patterns      every {@code pattern} that applies
 * @param formats       every {@code format} that applies
 * @param arrays        the array keywords of each merged schema that has some
 * @param objects       the object keywords of each merged schema that has some
 * @param required      required property names, each with the pointer of its {@code required}
 */
record Constraints(String pointer, Set<JsonType> types, List<JsonNode> values,
        Limit minLength, Limit maxLength, List<Keyword> patterns, List<Keyword> formats,
        NumberLimit lower, NumberLimit upper,
        List<ArrayPart> arrays, Limit minItems, Limit maxItems,
        List<ObjectPart> objects, Map<String, String> required, Limit minProperties, Limit maxProperties) {

    /** JSON Schema's types. */
    enum JsonType {
        OBJECT, ARRAY, STRING, NUMBER, INTEGER, BOOLEAN, NULL;

        String keyword() {
            return name().toLowerCase();
        }
    }

    /** A count limit, and the keyword and schema it comes from. */
    record Limit(long value, String keyword, String pointer) {
    }

    /** A numeric limit, and the keyword and schema it comes from. */
    record NumberLimit(BigDecimal value, boolean exclusive, String keyword, String pointer) {
        NumberRanges.Bound bound() {
            return new NumberRanges.Bound(value, exclusive);
        }
    }

    /** A string-valued keyword, and the schema it comes from. */
    record Keyword(String value, String pointer) {
    }

    /**
     * The array keywords of one schema.
     *
     * @param prefix the {@code prefixItems}, or null when absent
     * @param items  the {@code items}, or null when absent
     */
    record ArrayPart(List<SubSchema> prefix, SubSchema items) {
    }

    /**
     * The object keywords of one schema.
     *
     * @param properties the declared properties in order
     * @param additional the {@code additionalProperties}, or null when absent
     */
    record ObjectPart(Map<String, SubSchema> properties, SubSchema additional) {
        /** Copies, keeping the declaration order. */
        ObjectPart {
            properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        }
    }

    /** Copies. */
    Constraints {
        types = types.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(types));
        values = values == null ? null : List.copyOf(values);
        patterns = List.copyOf(patterns);
        formats = List.copyOf(formats);
        arrays = List.copyOf(arrays);
        objects = List.copyOf(objects);
        required = Collections.unmodifiableMap(new LinkedHashMap<>(required));
    }

    /** No constraint at all: any JSON value. */
    static Constraints any(String pointer) {
        return new Constraints(pointer, EnumSet.allOf(JsonType.class), null, null, null, List.of(), List.of(), null,
                null, List.of(), null, null, List.of(), Map.of(), null, null);
    }

    /** Whether a value has one of the types. */
    static boolean hasType(JsonNode value, Set<JsonType> types) {
        return switch (value.getNodeType()) {
            case OBJECT -> types.contains(JsonType.OBJECT);
            case ARRAY -> types.contains(JsonType.ARRAY);
            case STRING -> types.contains(JsonType.STRING);
            case BOOLEAN -> types.contains(JsonType.BOOLEAN);
            case NULL -> types.contains(JsonType.NULL);
            case NUMBER -> types.contains(JsonType.NUMBER) || (types.contains(JsonType.INTEGER) && isIntegral(value));
            default -> false;
        };
    }

    /** Whether a number has no fractional part (JSON Schema counts 1.0 as an integer). */
    static boolean isIntegral(JsonNode number) {
        return number.isIntegralNumber() || number.decimalValue().stripTrailingZeros().scale() <= 0;
    }

    /** Whether two JSON values are equal as JSON Schema compares them (numbers by value). */
    static boolean jsonEquals(JsonNode a, JsonNode b) {
        return a.equals((x, y) -> x.isNumber() && y.isNumber() ? x.decimalValue().compareTo(y.decimalValue())
                : x.equals(y) ? 0 : 1, b);
    }

    /**
     * Both this branch's and the other's constraints, under this branch's pointer; empty when they plainly exclude
     * each other (no common type or value), which simply drops the combination.
     */
    Optional<Constraints> and(Constraints other) {
        EnumSet<JsonType> bothTypes = EnumSet.allOf(JsonType.class);
        bothTypes.retainAll(types);
        bothTypes.retainAll(other.types);
        List<JsonNode> bothValues = values;
        if (other.values != null) {
            bothValues = values == null ? other.values
                    : values.stream().filter(v -> other.values.stream().anyMatch(w -> jsonEquals(v, w))).toList();
        }
        if (bothValues != null) {
            bothValues = bothValues.stream().filter(v -> hasType(v, bothTypes)).toList();
        }
        if (bothTypes.isEmpty() || (bothValues != null && bothValues.isEmpty())) {
            return Optional.empty();
        }
        Map<String, String> bothRequired = new LinkedHashMap<>(required);
        other.required.forEach(bothRequired::putIfAbsent);
        return Optional.of(new Constraints(pointer, bothTypes, bothValues,
                tighter(minLength, other.minLength, Constraints::larger), tighter(maxLength, other.maxLength,
                        Constraints::smaller),
                concat(patterns, other.patterns), concat(formats, other.formats),
                tighter(lower, other.lower, Constraints::higher), tighter(upper, other.upper, Constraints::lower),
                concat(arrays, other.arrays), tighter(minItems, other.minItems, Constraints::larger),
                tighter(maxItems, other.maxItems, Constraints::smaller),
                concat(objects, other.objects), bothRequired,
                tighter(minProperties, other.minProperties, Constraints::larger),
                tighter(maxProperties, other.maxProperties, Constraints::smaller)));
    }

    /** Whether any keyword that applies only to values of the type constrains them. */
    boolean constrains(JsonType type) {
        return switch (type) {
            case STRING -> minLength != null || maxLength != null || !patterns.isEmpty() || !formats.isEmpty();
            case NUMBER, INTEGER -> lower != null || upper != null;
            case ARRAY -> !arrays.isEmpty() || minItems != null || maxItems != null;
            case OBJECT -> !objects.isEmpty() || !required.isEmpty() || minProperties != null || maxProperties != null;
            case BOOLEAN, NULL -> false;
        };
    }

    private static <T> T tighter(T a, T b, BinaryOperator<T> pick) {
        return a == null ? b : b == null ? a : pick.apply(a, b);
    }

    private static Limit larger(Limit a, Limit b) {
        return b.value() > a.value() ? b : a;
    }

    private static Limit smaller(Limit a, Limit b) {
        return b.value() < a.value() ? b : a;
    }

    private static NumberLimit higher(NumberLimit a, NumberLimit b) {
        int order = b.value().compareTo(a.value());
        return order > 0 || (order == 0 && b.exclusive()) ? b : a;
    }

    private static NumberLimit lower(NumberLimit a, NumberLimit b) {
        int order = b.value().compareTo(a.value());
        return order < 0 || (order == 0 && b.exclusive()) ? b : a;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        return b.isEmpty() ? a : a.isEmpty() ? b : Stream.concat(a.stream(), b.stream()).toList();
    }
}
