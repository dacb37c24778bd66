package dev.edgelm.generate.grammar;

import static dev.edgelm.generate.grammar.GbnfExpr.alt;
import static dev.edgelm.generate.grammar.GbnfExpr.literal;
import static dev.edgelm.generate.grammar.GbnfExpr.optional;
import static dev.edgelm.generate.grammar.GbnfExpr.repeat;
import static dev.edgelm.generate.grammar.GbnfExpr.seq;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelm.generate.grammar.Constraints.ArrayPart;
import dev.edgelm.generate.grammar.Constraints.JsonType;
import dev.edgelm.generate.grammar.Constraints.Limit;
import dev.edgelm.generate.grammar.Constraints.NumberLimit;
import dev.edgelm.generate.grammar.Constraints.ObjectPart;
import dev.edgelm.generate.grammar.GbnfExpr.Repeat;
import dev.edgelm.generate.grammar.GbnfExpr.RuleRef;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Compiles a JSON Schema document into GBNF rules whose language is a set of JSON texts that all validate.
 *
 * <p>Each schema is first expanded into branches ({@link Constraints}): its own keywords merged with its
 * {@code $ref}, {@code allOf} parts and one alternative of each {@code anyOf}/{@code oneOf}. Each branch becomes a
 * grammar for every type it allows; properties and items are compiled the same way into rules of their own, which
 * is where recursion through {@code $ref} goes (always inside braces or brackets, so never left-recursive).
 */
final class SchemaCompiler {
    /** The most branches one schema may expand into (allOf of anyOfs multiplies them). */
    static final int MAX_BRANCHES = 256;
    /** The most spaces or tabs after a newline in optional white space. */
    static final int MAX_INDENT = 20;

    private static final long UNLIMITED = Long.MAX_VALUE;
    private static final Set<String> SHARED = Set.of("value", "object", "member", "array", "string", "char", "number",
            "integer", "boolean", "null", "ws");

    private final JsonNode document;
    private final ObjectMapper mapper;
    private final Map<String, GbnfExpr> rules = new LinkedHashMap<>();
    /** The schema each rule comes from, for error messages. */
    private final Map<String, String> rulePointers = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    /** The grammar of each conjunction of subschemas compiled so far, by their sorted pointers. */
    private final Map<List<String>, Optional<GbnfExpr>> compiled = new HashMap<>();
    /** Rules being built, and those referred to meanwhile: recursive, so they must stay rules. */
    private final Set<String> building = new HashSet<>();
    private final Set<String> recursive = new HashSet<>();

    private SchemaCompiler(JsonNode document, ObjectMapper mapper) {
        this.document = document;
        this.mapper = mapper;
        names.addAll(SHARED);
        names.addAll(StringFormats.NAMES);
    }

    /**
     * The rules for a schema document.
     *
     * @param mapper writes the JSON text of {@code enum}/{@code const} values and property names
     * @throws GrammarException if the schema is malformed, unsupported, or no value satisfies it
     */
    static GbnfRules compile(JsonNode document, ObjectMapper mapper) {
        SchemaCompiler compiler = new SchemaCompiler(document, mapper);
        SubSchema root = SchemaKeywords.schemaAt(new SubSchema(document, "#"));
        GbnfExpr grammar = compiler.compile(List.of(root), "root").orElseThrow(() -> new GrammarException(
                "at #: no value satisfies the schema" + (document.isBoolean() ? " (it is false)" : "")));
        if (!grammar.equals(new RuleRef("root"))) {
            compiler.rules.put("root", grammar);
        }
        compiler.checkProductive();
        return new GbnfRules(compiler.rules);
    }

    // ---- expansion into branches ----

    /** The branches of a schema; empty when no value satisfies it. */
    private List<Constraints> expand(SubSchema schema, Set<String> refsInProgress) {
        JsonNode node = schema.node();
        if (node.isBoolean()) {
            return node.booleanValue() ? List.of(Constraints.any(schema.pointer())) : List.of();
        }
        List<Constraints> branches = List.of(SchemaKeywords.read(schema));
        if (node.has("$ref")) {
            SubSchema target = resolve(schema);
            if (refsInProgress.contains(target.pointer())) {
                throw new GrammarException("at " + schema.at("$ref") + ": $ref " + node.get("$ref")
                        + " refers back to itself with no object or array in between (the grammar would be "
                        + "left-recursive)");
            }
            Set<String> refs = new HashSet<>(refsInProgress);
            refs.add(target.pointer());
            branches = cross(branches, expand(target, refs), schema);
        }
        for (SubSchema part : subschemas(schema, "allOf")) {
            branches = cross(branches, expand(part, refsInProgress), schema);
        }
        if (node.has("anyOf")) {
            List<Constraints> alternatives = new ArrayList<>();
            for (SubSchema part : subschemas(schema, "anyOf")) {
                alternatives.addAll(expand(part, refsInProgress));
            }
            branches = cross(branches, alternatives, schema);
        }
        if (node.has("oneOf")) {
            List<List<Constraints>> alternatives = new ArrayList<>();
            for (SubSchema part : subschemas(schema, "oneOf")) {
                alternatives.add(expand(part, refsInProgress));
            }
            checkExclusive(schema, alternatives);
            branches = cross(branches, alternatives.stream().flatMap(List::stream).toList(), schema);
        }
        return branches;
    }

    private static List<SubSchema> subschemas(SubSchema schema, String keyword) {
        JsonNode list = schema.node().get(keyword);
        if (list == null) {
            return List.of();
        }
        if (!list.isArray() || list.isEmpty()) {
            throw new GrammarException("at " + schema.at(keyword) + ": " + keyword
                    + " must be a non-empty array of schemas");
        }
        List<SubSchema> parts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            parts.add(SchemaKeywords.schemaAt(schema.child(keyword, i)));
        }
        return parts;
    }

    private static List<Constraints> cross(List<Constraints> a, List<Constraints> b, SubSchema schema) {
        List<Constraints> both = new ArrayList<>();
        for (Constraints x : a) {
            for (Constraints y : b) {
                x.and(y).ifPresent(both::add);
                if (both.size() > MAX_BRANCHES) {
                    throw new GrammarException("at " + schema.pointer() + ": the allOf/anyOf/oneOf combinations "
                            + "make more than " + MAX_BRANCHES + " branches");
                }
            }
        }
        return both;
    }

    /** The schema a {@code $ref} points to: only references within the document. */
    private SubSchema resolve(SubSchema schema) {
        JsonNode ref = schema.node().get("$ref");
        if (!ref.isTextual()) {
            throw new GrammarException("at " + schema.at("$ref") + ": $ref must be a string");
        }
        String text = ref.textValue();
        String fragment = text.startsWith("#") ? percentDecode(text.substring(1)) : null;
        if (fragment == null || (!fragment.isEmpty() && !fragment.startsWith("/"))) {
            throw new GrammarException("at " + schema.at("$ref") + ": $ref \"" + text + "\" is not supported: only "
                    + "references within the schema (#, #/$defs/NAME, #/definitions/NAME or another #/pointer)");
        }
        JsonNode target;
        try {
            target = document.at(JsonPointer.compile(fragment));
        } catch (IllegalArgumentException e) {
            target = null;
        }
        if (target == null || target.isMissingNode()) {
            throw new GrammarException("at " + schema.at("$ref") + ": $ref \"" + text
                    + "\" points to nothing in the schema");
        }
        return SchemaKeywords.schemaAt(new SubSchema(target, "#" + fragment));
    }

    private static String percentDecode(String text) {
        try {
            // URLDecoder would read '+' as a space, which a URI fragment does not.
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A schema that is only a {@code $ref} (and annotations) stands for its target, so they share one rule. */
    private SubSchema followPureRefs(SubSchema schema) {
        Set<String> seen = new HashSet<>();
        while (schema.node().isObject() && schema.node().has("$ref")
                && SchemaKeywords.ANNOTATIONS.containsAll(fieldsBut(schema.node(), "$ref"))) {
            if (!seen.add(schema.pointer())) {
                throw new GrammarException("at " + schema.at("$ref") + ": $ref cycle with no schema in it");
            }
            schema = resolve(schema);
        }
        return schema;
    }

    private static Set<String> fieldsBut(JsonNode node, String except) {
        Set<String> fields = new HashSet<>();
        node.fieldNames().forEachRemaining(fields::add);
        fields.remove(except);
        return fields;
    }

    // ---- oneOf ----

    /** oneOf needs exactly one branch to match: accepted only when no value can match two branches. */
    private void checkExclusive(SubSchema schema, List<List<Constraints>> alternatives) {
        for (int i = 0; i < alternatives.size(); i++) {
            for (int j = i + 1; j < alternatives.size(); j++) {
                for (Constraints a : alternatives.get(i)) {
                    for (Constraints b : alternatives.get(j)) {
                        if (!excludes(a, b) || !excludes(b, a)) {
                            throw new GrammarException("at " + schema.at("oneOf") + ": branches " + i + " and " + j
                                    + " may both match one value, which oneOf forbids; use anyOf, or make the "
                                    + "branches exclusive (different types, const/enum values, or a required "
                                    + "property with different const/enum values)");
                        }
                    }
                }
            }
        }
    }

    /** Whether every value generated for branch a fails branch b (false when unsure). */
    private boolean excludes(Constraints a, Constraints b) {
        if (a.values() != null) {
            return a.values().stream().noneMatch(v -> Constraints.hasType(v, b.types())
                    && (b.values() == null || b.values().stream().anyMatch(w -> Constraints.jsonEquals(v, w))));
        }
        for (JsonType type : a.types()) {
            boolean overlap = (type == JsonType.NUMBER || type == JsonType.INTEGER
                    ? b.types().contains(JsonType.INTEGER) : b.types().contains(type))
                    && (b.values() == null
                            || b.values().stream().anyMatch(v -> Constraints.hasType(v, EnumSet.of(type))));
            if (overlap && !(type == JsonType.OBJECT && objectsExclude(a, b))) {
                return false;
            }
        }
        return true;
    }

    /** Whether the objects generated for a lack a property b requires, or hold a required one b rejects. */
    private boolean objectsExclude(Constraints a, Constraints b) {
        Set<String> written = new HashSet<>(declaredProperties(a.objects()));
        written.addAll(a.required().keySet());
        if (!extrasAllowed(a) && !written.containsAll(b.required().keySet())) {
            return true;
        }
        for (String name : a.required().keySet()) {
            Optional<List<JsonNode>> mine = finiteValues(propertyParts(a.objects(), name));
            for (ObjectPart part : b.objects()) {
                SubSchema theirs = part.properties().get(name);
                Optional<List<JsonNode>> allowed = theirs == null ? Optional.empty() : finiteValues(List.of(theirs));
                if (mine.isPresent() && allowed.isPresent() && mine.get().stream().noneMatch(
                        v -> allowed.get().stream().anyMatch(w -> Constraints.jsonEquals(v, w)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** All the values that the subschemas together allow, when that is a finite list. */
    private Optional<List<JsonNode>> finiteValues(List<SubSchema> parts) {
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        List<Constraints> branches = List.of(Constraints.any(parts.getFirst().pointer()));
        for (SubSchema part : parts) {
            branches = cross(branches, expand(part, Set.of(part.pointer())), part);
        }
        if (branches.stream().anyMatch(c -> c.values() == null)) {
            return Optional.empty();
        }
        return Optional.of(branches.stream().flatMap(c -> c.values().stream()).toList());
    }

    // ---- compilation into rules ----

    /**
     * The grammar of the values that satisfy all the subschemas (none: any value), as a reference to its rule or,
     * when short and not recursive, inline; empty when no value satisfies them.
     */
    private Optional<GbnfExpr> compile(List<SubSchema> parts, String nameHint) {
        List<SubSchema> canonical = new ArrayList<>();
        for (SubSchema part : parts) {
            canonical.add(followPureRefs(part));
        }
        if (canonical.isEmpty()) {
            return Optional.of(shared("value"));
        }
        boolean followed = !canonical.getFirst().pointer().equals(parts.getFirst().pointer());
        if (canonical.size() == 1 && followed && !nameHint.equals("root")) {
            String pointer = canonical.getFirst().pointer();
            nameHint = pointer.equals("#") ? "root" : pointer.substring(pointer.lastIndexOf('/') + 1);
        }
        List<String> key = canonical.stream().map(SubSchema::pointer).sorted().toList();
        Optional<GbnfExpr> done = compiled.get(key);
        if (done != null) {
            done.ifPresent(g -> {
                if (g instanceof RuleRef r && building.contains(r.name())) {
                    recursive.add(r.name());
                }
            });
            return done;
        }
        String name = allocate(nameHint);
        String pointer = canonical.getFirst().pointer();
        compiled.put(key, Optional.of(new RuleRef(name)));
        building.add(name);
        rules.put(name, GbnfExpr.EMPTY);
        rulePointers.put(name, pointer);
        List<Constraints> branches = List.of(Constraints.any(pointer));
        for (SubSchema part : canonical) {
            branches = cross(branches, expand(part, Set.of(part.pointer())), part);
        }
        if (branches.isEmpty()) {
            building.remove(name);
            rules.remove(name);
            compiled.put(key, Optional.empty());
            return Optional.empty();
        }
        List<GbnfExpr> options = new ArrayList<>();
        for (Constraints branch : branches) {
            options.add(branch(branch, name));
        }
        building.remove(name);
        GbnfExpr body = alt(options);
        boolean small = body instanceof RuleRef || body instanceof GbnfExpr.Literal
                || body instanceof GbnfExpr.CharClass;
        if (small && !recursive.contains(name)) {
            rules.remove(name);
            compiled.put(key, Optional.of(body));
            return Optional.of(body);
        }
        rules.put(name, body);
        return Optional.of(new RuleRef(name));
    }

    /** The grammar of one branch: its values, or the union of its allowed types' grammars. */
    private GbnfExpr branch(Constraints c, String name) {
        if (c.values() != null) {
            for (JsonNode value : c.values()) {
                JsonType type = value.isNumber() ? JsonType.NUMBER : JsonType.valueOf(value.getNodeType().name());
                if (c.constrains(type)) {
                    throw new GrammarException("at " + c.pointer() + ": enum/const together with other "
                            + type.keyword() + " keywords is not supported; list only the allowed values");
                }
            }
            // Where only integers are allowed, 1.0 is written 1: some validators do not count 1.0 as an integer.
            boolean integers = !c.types().contains(JsonType.NUMBER);
            return alt(c.values().stream().map(v -> literal(integers && v.isNumber()
                    ? v.decimalValue().toBigIntegerExact().toString() : json(v))).toList());
        }
        if (c.types().equals(EnumSet.allOf(JsonType.class))
                && c.types().stream().noneMatch(c::constrains)) {
            return shared("value");
        }
        List<GbnfExpr> options = new ArrayList<>();
        Set<JsonType> types = c.types();
        if (types.contains(JsonType.OBJECT)) {
            options.add(object(c, name));
        }
        if (types.contains(JsonType.ARRAY)) {
            options.add(array(c, name));
        }
        if (types.contains(JsonType.STRING)) {
            options.add(string(c));
        }
        if (types.contains(JsonType.INTEGER)) {
            options.add(number(c));
        }
        if (types.contains(JsonType.BOOLEAN)) {
            options.add(shared("boolean"));
        }
        if (types.contains(JsonType.NULL)) {
            options.add(shared("null"));
        }
        return alt(options);
    }

    private GbnfExpr string(Constraints c) {
        Limit min = c.minLength();
        Limit max = c.maxLength();
        checkOrder(c, min, max);
        Set<String> patterns = c.patterns().stream().map(Constraints.Keyword::value).collect(Collectors.toSet());
        Set<String> formats = c.formats().stream().map(Constraints.Keyword::value).collect(Collectors.toSet());
        if (patterns.size() > 1 || formats.size() > 1 || (!patterns.isEmpty() && !formats.isEmpty())) {
            throw new GrammarException("at " + c.pointer() + ": several patterns/formats for one string ("
                    + String.join(", ", patterns) + (patterns.isEmpty() || formats.isEmpty() ? "" : ", ")
                    + String.join(", ", formats) + ") are not supported; combine them into one pattern");
        }
        StringShape shape = null;
        String shapeName = null;
        if (!patterns.isEmpty()) {
            Constraints.Keyword pattern = c.patterns().getFirst();
            shape = RegexTranslator.translate(pattern.value(), pattern.pointer());
            shapeName = "pattern " + pattern.value();
        } else if (!formats.isEmpty()) {
            String format = c.formats().getFirst().value();
            StringShape formatShape = StringFormats.shape(format).orElseThrow();
            shape = new StringShape(shared(format), formatShape.minLength(), formatShape.maxLength());
            shapeName = "format " + format;
        }
        GbnfExpr body;
        if (shape != null) {
            boolean implied = (min == null || shape.minLength() >= min.value())
                    && (max == null || (shape.maxLength() >= 0 && shape.maxLength() <= max.value()));
            if (!implied) {
                throw new GrammarException("at " + c.pointer() + ": minLength/maxLength with " + shapeName
                        + " is supported only when the " + shapeName.split(" ")[0] + "'s own lengths ("
                        + shape.minLength() + " to " + (shape.maxLength() < 0 ? "unlimited" : shape.maxLength())
                        + ") lie within them");
            }
            body = shape.grammar();
        } else if (min == null && max == null) {
            return shared("string");
        } else {
            body = repeat(shared("char"), min == null ? 0 : (int) min.value(),
                    max == null ? Repeat.UNBOUNDED : (int) max.value());
        }
        return seq(literal("\""), body, literal("\""));
    }

    private GbnfExpr number(Constraints c) {
        boolean integers = !c.types().contains(JsonType.NUMBER);
        NumberLimit lower = c.lower();
        NumberLimit upper = c.upper();
        if (lower == null && upper == null) {
            return shared(integers ? "integer" : "number");
        }
        for (NumberLimit limit : new NumberLimit[] {lower, upper}) {
            if (limit != null && limit.exclusive()
                    && limit.value().stripTrailingZeros().precision() > NumberRanges.MAX_DIGITS) {
                throw new GrammarException("at " + limit.pointer() + ": " + describe(limit) + " has more than "
                        + NumberRanges.MAX_DIGITS + " significant digits, so a double (which most JSON readers "
                        + "use) cannot tell the values next to it apart");
            }
        }
        return NumberRanges.range(lower == null ? null : lower.bound(), upper == null ? null : upper.bound(), integers)
                .orElseThrow(() -> {
                    if (lower != null && upper != null && lower.value().compareTo(upper.value()) > 0) {
                        return conflict(c, lower.keyword() + " " + plain(lower.value()), lower.pointer(),
                                upper.keyword() + " " + plain(upper.value()), upper.pointer());
                    }
                    return new GrammarException("at " + c.pointer() + ": no " + (integers ? "integer" : "number")
                            + " of at most " + NumberRanges.MAX_DIGITS + " digits satisfies " + describe(lower)
                            + (lower != null && upper != null ? " and " : "") + describe(upper));
                });
    }

    private static String describe(NumberLimit limit) {
        return limit == null ? "" : limit.keyword() + " " + plain(limit.value());
    }

    private static String plain(BigDecimal value) {
        return value.stripTrailingZeros().toPlainString();
    }

    private GbnfExpr array(Constraints c, String name) {
        checkOrder(c, c.minItems(), c.maxItems());
        long min = c.minItems() == null ? 0 : c.minItems().value();
        long max = c.maxItems() == null ? UNLIMITED : c.maxItems().value();
        List<ArrayPart> parts = c.arrays();
        if (parts.isEmpty() && min == 0 && max == UNLIMITED) {
            return shared("array");
        }
        int tupleLength = parts.stream().mapToInt(p -> p.prefix() == null ? 0 : p.prefix().size()).max().orElse(0);
        boolean tuple = parts.stream().anyMatch(p -> p.prefix() != null);
        List<SubSchema> itemParts = parts.stream().map(ArrayPart::items).filter(i -> i != null).toList();
        List<GbnfExpr> positions = new ArrayList<>();
        long limit = max;
        for (int i = 0; i < tupleLength && i < limit; i++) {
            Optional<GbnfExpr> element = compile(positionParts(parts, i), name + "-" + i);
            if (element.isEmpty()) {
                limit = i;
            } else {
                positions.add(element.get());
            }
        }
        GbnfExpr item = null;
        if (positions.size() == tupleLength && limit > tupleLength && (!itemParts.isEmpty() || !tuple)) {
            item = compile(itemParts, name + "-item").orElse(null);
        }
        if (item == null) {
            limit = Math.min(limit, positions.size());
        }
        if (min > limit) {
            throw new GrammarException("at " + c.pointer() + ": minItems " + min + " cannot be met: at most " + limit
                    + " items can be valid (prefixItems, items)");
        }
        return seq(literal("["), shared("ws"), elements(positions, item, min, limit, 0), literal("]"));
    }

    private static List<SubSchema> positionParts(List<ArrayPart> parts, int index) {
        List<SubSchema> list = new ArrayList<>();
        for (ArrayPart part : parts) {
            if (part.prefix() != null && index < part.prefix().size()) {
                list.add(part.prefix().get(index));
            } else if (part.items() != null) {
                list.add(part.items());
            }
        }
        return list;
    }

    /** The elements from the index on: fixed positions first, then the repeated item, min to limit in all. */
    private GbnfExpr elements(List<GbnfExpr> positions, GbnfExpr item, long min, long limit, int index) {
        if (index >= limit) {
            return GbnfExpr.EMPTY;
        }
        GbnfExpr comma = index == 0 ? GbnfExpr.EMPTY : seq(literal(","), shared("ws"));
        if (index < positions.size()) {
            GbnfExpr rest = seq(comma, positions.get(index), elements(positions, item, min, limit, index + 1));
            return index < min ? rest : optional(rest);
        }
        int required = (int) Math.max(0, min - index);
        int most = limit == UNLIMITED ? Repeat.UNBOUNDED : (int) (limit - index);
        GbnfExpr next = seq(literal(","), shared("ws"), item);
        if (index > 0) {
            return repeat(next, required, most);
        }
        GbnfExpr some = seq(item, repeat(next, Math.max(0, required - 1), most == Repeat.UNBOUNDED ? most : most - 1));
        return required > 0 ? some : optional(some);
    }

    /** One property of an object grammar. */
    private record Member(GbnfExpr grammar, boolean required) {
    }

    /** A step of an object layout: what it does with the member, and the state (next member, count) it leads to. */
    private record Transition(Step step, int member, int written) {
    }

    private enum Step { ADD, SKIP, MAYBE }

    private GbnfExpr object(Constraints c, String name) {
        List<ObjectPart> parts = c.objects();
        checkOrder(c, c.minProperties(), c.maxProperties());
        if (parts.isEmpty() && c.required().isEmpty() && c.minProperties() == null && c.maxProperties() == null) {
            return shared("object");
        }
        Set<String> declared = declaredProperties(parts);
        List<String> order = new ArrayList<>();
        declared.stream().filter(c.required()::containsKey).forEach(order::add);
        c.required().keySet().stream().filter(p -> !declared.contains(p)).forEach(order::add);
        declared.stream().filter(p -> !c.required().containsKey(p)).forEach(order::add);
        List<Member> members = new ArrayList<>();
        for (String property : order) {
            boolean required = c.required().containsKey(property);
            Optional<GbnfExpr> value = compile(propertyParts(parts, property), name + "-" + property);
            if (value.isEmpty() && required) {
                throw new GrammarException("at " + c.required().get(property) + ": required property \"" + property
                        + "\" can have no valid value (its schema, or additionalProperties, allows none)");
            }
            value.ifPresent(v -> members.add(new Member(seq(literal(json(property) + ":"), shared("ws"), v),
                    required)));
        }
        GbnfExpr extra = null;
        if (extrasAllowed(c)) {
            List<SubSchema> additional = parts.stream().map(ObjectPart::additional).filter(a -> a != null).toList();
            Optional<GbnfExpr> value = compile(additional, name + "-extra");
            if (value.isPresent()) {
                Set<String> taken = new LinkedHashSet<>(declared);
                taken.addAll(c.required().keySet());
                String rule = allocate(name + "-extra-kv");
                rules.put(rule, seq(keyNotIn(taken), literal(":"), shared("ws"), value.get()));
                rulePointers.put(rule, c.pointer());
                extra = new RuleRef(rule);
            }
        }
        long requiredCount = members.stream().filter(Member::required).count();
        long min = c.minProperties() == null ? 0 : c.minProperties().value();
        long max = c.maxProperties() == null ? UNLIMITED : c.maxProperties().value();
        if (requiredCount > max) {
            throw new GrammarException("at " + c.pointer() + ": " + requiredCount + " required properties but "
                    + "maxProperties " + max);
        }
        if (members.size() < min) {
            throw new GrammarException("at " + c.pointer() + ": minProperties " + min + " cannot be met by the "
                    + members.size() + " declared properties (extra properties do not count: a generated object "
                    + "could repeat a name)");
        }
        // Limits that every choice meets anyway need no counting.
        if (extra == null && max >= members.size()) {
            max = UNLIMITED;
        }
        if (min <= requiredCount) {
            min = 0;
        }
        ObjectLayout layout = new ObjectLayout(members, extra, min, max, name, c.pointer());
        return seq(literal("{"), shared("ws"), layout.state(0, 0), literal("}"));
    }

    private static Set<String> declaredProperties(List<ObjectPart> parts) {
        Set<String> declared = new LinkedHashSet<>();
        parts.forEach(p -> declared.addAll(p.properties().keySet()));
        return declared;
    }

    /**
     * Whether objects get properties beyond the declared and required ones: when some schema gives
     * additionalProperties, or when none declares or requires anything (a plain {"type": "object"}). An absent
     * additionalProperties otherwise generates no extra properties: tighter output that still validates.
     */
    private static boolean extrasAllowed(Constraints c) {
        return c.objects().stream().anyMatch(p -> p.additional() != null)
                || (declaredProperties(c.objects()).isEmpty() && c.required().isEmpty());
    }

    /** The subschemas a property's value must satisfy: where declared, else each additionalProperties. */
    private static List<SubSchema> propertyParts(List<ObjectPart> parts, String property) {
        List<SubSchema> list = new ArrayList<>();
        for (ObjectPart part : parts) {
            SubSchema declared = part.properties().get(property);
            if (declared != null) {
                list.add(declared);
            } else if (part.additional() != null) {
                list.add(part.additional());
            }
        }
        return list;
    }

    /**
     * The members of an object in order, required ones always, optional ones or not, extra ones last, with commas
     * between them and the property count within min..max. State (i, n): member i is next and n were written
     * (capped where more makes no difference); states reached from two places become rules.
     */
    private final class ObjectLayout {
        private final List<Member> members;
        private final GbnfExpr extra;
        private final long min;
        private final long max;
        private final int cap;
        private final String name;
        private final String pointer;
        private final Map<Long, Boolean> viable = new HashMap<>();
        private final Map<Long, Integer> references = new HashMap<>();
        private final Map<Long, RuleRef> stateRules = new HashMap<>();

        ObjectLayout(List<Member> members, GbnfExpr extra, long min, long max, String name, String pointer) {
            this.members = members;
            this.extra = extra;
            this.min = min;
            this.max = max;
            this.cap = (int) Math.max(1, Math.max(min, max == UNLIMITED ? 0 : max));
            this.name = name;
            this.pointer = pointer;
            countReferences(0, 0);
        }

        private long key(int i, int n) {
            return (long) i * (cap + 1) + n;
        }

        private boolean canAdd(int n) {
            return n < max;
        }

        private int added(int n) {
            return Math.min(n + 1, cap);
        }

        private boolean viable(int i, int n) {
            if (i == members.size()) {
                return n >= min;
            }
            Boolean known = viable.get(key(i, n));
            if (known == null) {
                known = !transitions(i, n).isEmpty();
                viable.put(key(i, n), known);
            }
            return known;
        }

        /**
         * The ways on from state (i, n) to states that can finish: writing member i, skipping it, or (when both
         * lead to the same state) maybe writing it.
         */
        private List<Transition> transitions(int i, int n) {
            List<Transition> next = new ArrayList<>();
            if (i < members.size()) {
                boolean add = canAdd(n) && viable(i + 1, added(n));
                boolean skip = !members.get(i).required() && viable(i + 1, n);
                if (add && skip && added(n) == n) {
                    next.add(new Transition(Step.MAYBE, i + 1, n));
                } else {
                    if (add) {
                        next.add(new Transition(Step.ADD, i + 1, added(n)));
                    }
                    if (skip) {
                        next.add(new Transition(Step.SKIP, i + 1, n));
                    }
                }
            }
            return next;
        }

        private void countReferences(int i, int n) {
            for (Transition t : transitions(i, n)) {
                if (references.merge(key(t.member(), t.written()), 1, Integer::sum) == 1) {
                    countReferences(t.member(), t.written());
                }
            }
        }

        GbnfExpr state(int i, int n) {
            if (i == members.size()) {
                return extras(n);
            }
            List<GbnfExpr> options = new ArrayList<>();
            for (Transition t : transitions(i, n)) {
                GbnfExpr rest = reference(t.member(), t.written());
                GbnfExpr comma = n > 0 ? seq(literal(","), shared("ws")) : GbnfExpr.EMPTY;
                GbnfExpr member = seq(comma, members.get(i).grammar());
                options.add(switch (t.step()) {
                    case ADD -> seq(member, rest);
                    case SKIP -> rest;
                    case MAYBE -> seq(optional(member), rest);
                });
            }
            return alt(options);
        }

        /** State (i, n) inline, or as a rule when several states lead to it and it is more than a literal. */
        private GbnfExpr reference(int i, int n) {
            long k = key(i, n);
            RuleRef rule = stateRules.get(k);
            if (rule != null) {
                return rule;
            }
            GbnfExpr body = state(i, n);
            if (references.getOrDefault(k, 0) < 2 || body.equals(GbnfExpr.EMPTY) || body instanceof GbnfExpr.Literal) {
                return body;
            }
            String ruleName = allocate(name + "-rest");
            rule = new RuleRef(ruleName);
            stateRules.put(k, rule);
            rules.put(ruleName, body);
            rulePointers.put(ruleName, pointer);
            return rule;
        }

        private GbnfExpr extras(int n) {
            if (extra == null || !canAdd(n)) {
                return GbnfExpr.EMPTY;
            }
            int left = max == UNLIMITED ? Repeat.UNBOUNDED : (int) (max - n);
            GbnfExpr next = seq(literal(","), shared("ws"), extra);
            if (n > 0) {
                return repeat(next, 0, left);
            }
            return optional(seq(extra, repeat(next, 0, left == Repeat.UNBOUNDED ? left : left - 1)));
        }
    }

    /** A JSON string that is none of the names (extra property keys). */
    private GbnfExpr keyNotIn(Set<String> taken) {
        Trie root = new Trie();
        for (String name : taken) {
            if (name.codePoints().allMatch(JsonStrings.ENCODABLE::contains)) {
                Trie node = root;
                for (int c : name.codePoints().toArray()) {
                    node = node.children.computeIfAbsent(c, k -> new Trie());
                }
                node.terminal = true;
            }
        }
        return seq(literal("\""), notIn(root), literal("\""));
    }

    /** The strings (as JSON) that, after the node's prefix, do not complete a name of the trie. */
    private GbnfExpr notIn(Trie node) {
        List<GbnfExpr> options = new ArrayList<>();
        if (!node.terminal) {
            options.add(GbnfExpr.EMPTY);
        }
        CodePointSet others = JsonStrings.ENCODABLE;
        for (int c : node.children.keySet()) {
            others = others.minus(CodePointSet.of(c));
        }
        GbnfExpr other = others.equals(JsonStrings.ENCODABLE) ? shared("char") : JsonStrings.encodedChar(others);
        options.add(seq(other, repeat(shared("char"), 0, Repeat.UNBOUNDED)));
        node.children.forEach((c, child) -> options.add(seq(JsonStrings.encodedChar(CodePointSet.of(c)),
                notIn(child))));
        return alt(options);
    }

    private static final class Trie {
        final Map<Integer, Trie> children = new TreeMap<>();
        boolean terminal;
    }

    // ---- shared rules, names, checks ----

    /** A reference to a rule every grammar may share, defined on first use. */
    private GbnfExpr shared(String name) {
        if (!rules.containsKey(name)) {
            rules.put(name, GbnfExpr.EMPTY);
            rules.put(name, sharedBody(name));
        }
        return new RuleRef(name);
    }

    private GbnfExpr sharedBody(String name) {
        GbnfExpr ws = new RuleRef("ws");
        return switch (name) {
            case "value" -> alt(shared("object"), shared("array"), shared("string"), shared("number"),
                    shared("boolean"), shared("null"));
            case "object" -> seq(literal("{"), shared("ws"), optional(seq(shared("member"),
                    repeat(seq(literal(","), ws, shared("member")), 0, Repeat.UNBOUNDED))), literal("}"));
            case "member" -> seq(shared("string"), literal(":"), shared("ws"), shared("value"));
            case "array" -> seq(literal("["), shared("ws"), optional(seq(shared("value"),
                    repeat(seq(literal(","), ws, shared("value")), 0, Repeat.UNBOUNDED))), literal("]"));
            case "string" -> seq(literal("\""), repeat(shared("char"), 0, Repeat.UNBOUNDED), literal("\""));
            case "char" -> JsonStrings.encodedChar(JsonStrings.ENCODABLE);
            case "number" -> NumberRanges.NUMBER;
            case "integer" -> NumberRanges.INTEGER;
            case "boolean" -> alt(literal("true"), literal("false"));
            case "null" -> literal("null");
            case "ws" -> optional(alt(literal(" "), seq(literal("\n"),
                    repeat(GbnfExpr.chars(CodePointSet.of(" \t")), 0, MAX_INDENT))));
            default -> StringFormats.shape(name).orElseThrow().grammar();
        };
    }

    /** A new rule name from a hint: letters, digits and '-' only, unique. */
    private String allocate(String hint) {
        String base = hint.replaceAll("[^a-zA-Z0-9-]+", "-");
        if (base.isEmpty()) {
            base = "rule";
        }
        String name = base;
        for (int i = 2; !names.add(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    private static void checkOrder(Constraints c, Limit min, Limit max) {
        if (min != null && max != null && min.value() > max.value()) {
            throw conflict(c, min.keyword() + " " + min.value(), min.pointer(), max.keyword() + " " + max.value(),
                    max.pointer());
        }
    }

    private static GrammarException conflict(Constraints c, String low, String lowPointer, String high,
            String highPointer) {
        if (lowPointer.equals(highPointer)) {
            return new GrammarException("at " + lowPointer + ": " + low + " is greater than " + high);
        }
        return new GrammarException("at " + c.pointer() + ": " + low + " (at " + lowPointer + ") is greater than "
                + high + " (at " + highPointer + ")");
    }

    /** Every rule must be able to finish, or generation could enter it and never produce a whole value. */
    private void checkProductive() {
        Set<String> productive = new HashSet<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Map.Entry<String, GbnfExpr> rule : rules.entrySet()) {
                if (!productive.contains(rule.getKey()) && produces(rule.getValue(), productive)) {
                    productive.add(rule.getKey());
                    changed = true;
                }
            }
        }
        List<String> stuck = rules.keySet().stream().filter(r -> !productive.contains(r)).toList();
        if (!stuck.isEmpty()) {
            throw new GrammarException("at " + rulePointers.get(stuck.getLast()) + ": no finite value satisfies "
                    + "the schema: every value would have to contain another one (a $ref cycle through required "
                    + "properties or items)");
        }
    }

    private static boolean produces(GbnfExpr expr, Set<String> productive) {
        return switch (expr) {
            case GbnfExpr.Literal l -> true;
            case GbnfExpr.CharClass c -> true;
            case GbnfExpr.Seq s -> s.items().stream().allMatch(i -> produces(i, productive));
            case GbnfExpr.Alt a -> a.options().stream().anyMatch(o -> produces(o, productive));
            case Repeat r -> r.min() == 0 || produces(r.item(), productive);
            case RuleRef r -> productive.contains(r.name());
        };
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
