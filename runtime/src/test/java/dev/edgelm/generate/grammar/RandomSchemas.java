package dev.edgelm.generate.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Seeded random JSON Schemas over the supported keywords, nested, each with a generator of instances that validate
 * and are in the converter's canonical form (required properties first, declaration order, no extra properties
 * unless additionalProperties allows them, numbers without leading zeros or exponents in ranges).
 */
final class RandomSchemas {
    static final JsonMapper MAPPER = JsonMapper.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 3;
    private static final String[] NAMES = {"a", "b", "id", "name", "temp", "value", "on", "x y", "über", "q\"t",
        "back\\slash", "", "a/b", "~t", "emoji\uD83D\uDE00", "next", "kind", "items"};

    /** A JSON instance, written compactly or with the white space the grammar allows. */
    sealed interface Json {
        void write(StringBuilder out, Supplier<String> ws);

        default String compact() {
            StringBuilder out = new StringBuilder();
            write(out, () -> "");
            return out.toString();
        }
    }

    record Atom(String text) implements Json {
        public void write(StringBuilder out, Supplier<String> ws) {
            out.append(text);
        }
    }

    record Arr(List<Json> items) implements Json {
        public void write(StringBuilder out, Supplier<String> ws) {
            out.append('[').append(ws.get());
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.append(',').append(ws.get());
                }
                items.get(i).write(out, ws);
            }
            out.append(']');
        }
    }

    record Obj(List<Map.Entry<String, Json>> members) implements Json {
        public void write(StringBuilder out, Supplier<String> ws) {
            out.append('{').append(ws.get());
            for (int i = 0; i < members.size(); i++) {
                if (i > 0) {
                    out.append(',').append(ws.get());
                }
                out.append(text(NODES.textNode(members.get(i).getKey()))).append(':').append(ws.get());
                members.get(i).getValue().write(out, ws);
            }
            out.append('}');
        }
    }

    /** A schema and its instances. */
    record Gen(ObjectNode schema, Function<SplittableRandom, Json> instances) {
    }

    /** A whole schema document and its instances. */
    record Case(String schema, Function<SplittableRandom, Json> instances) {
    }

    private final SplittableRandom random;
    private ObjectNode defs;

    RandomSchemas(SplittableRandom random) {
        this.random = random;
    }

    Case next() {
        defs = NODES.objectNode();
        Gen root = random.nextInt(10) == 0 ? tree() : any(0);
        ObjectNode schema = root.schema().deepCopy();
        if (!defs.isEmpty()) {
            schema.set("$defs", defs);
        }
        if (random.nextBoolean()) {
            schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        }
        return new Case(text(schema), root.instances());
    }

    private Gen any(int depth) {
        int kinds = depth >= MAX_DEPTH ? 8 : 17;
        return switch (random.nextInt(kinds)) {
            case 0 -> gen("{\"type\":\"null\"}", r -> new Atom("null"));
            case 1 -> gen("{\"type\":\"boolean\"}", r -> new Atom(r.nextBoolean() ? "true" : "false"));
            case 2 -> integer();
            case 3 -> number();
            case 4, 5 -> string();
            case 6 -> enumeration();
            case 7 -> constant();
            case 8, 9 -> object(depth);
            case 10, 11 -> array(depth);
            case 12 -> nullable(depth);
            case 13 -> anyOf(depth);
            case 14 -> random.nextBoolean() ? oneOfTypes() : oneOfTagged(depth);
            case 15 -> reference(depth);
            default -> allOfObjects(depth);
        };
    }

    private Gen integer() {
        ObjectNode schema = object("{\"type\":\"integer\"}");
        long scale = random.nextBoolean() ? 1000 : 1_000_000_000_000L;
        long low = random.nextLong(-scale, scale);
        long high = low + random.nextLong(2, scale);
        boolean hasLow = random.nextBoolean();
        boolean hasHigh = random.nextBoolean();
        long first = low;
        long last = high;
        if (hasLow) {
            boolean exclusive = random.nextBoolean();
            schema.put(exclusive ? "exclusiveMinimum" : "minimum", low);
            first = exclusive ? low + 1 : low;
        }
        if (hasHigh) {
            boolean exclusive = random.nextBoolean();
            schema.put(exclusive ? "exclusiveMaximum" : "maximum", high);
            last = exclusive ? high - 1 : high;
        }
        long from = hasLow ? first : last - scale;
        long to = hasHigh ? last : from + scale;
        return new Gen(schema, r -> new Atom(Long.toString(r.nextLong(from, to + 1))));
    }

    private Gen number() {
        ObjectNode schema = object("{\"type\":\"number\"}");
        BigDecimal low = BigDecimal.valueOf(random.nextInt(-5000, 5000), random.nextInt(3));
        BigDecimal high = low.add(BigDecimal.valueOf(random.nextInt(1, 5000), random.nextInt(3)));
        String lowKeyword = random.nextBoolean() ? "minimum" : "exclusiveMinimum";
        String highKeyword = random.nextBoolean() ? "maximum" : "exclusiveMaximum";
        boolean hasLow = random.nextBoolean();
        boolean hasHigh = random.nextBoolean();
        if (hasLow) {
            schema.put(lowKeyword, low);
        }
        if (hasHigh) {
            schema.put(highKeyword, high);
        }
        if (!hasLow && !hasHigh) {
            return new Gen(schema, RandomSchemas::anyNumber);
        }
        return new Gen(schema, r -> {
            while (true) {
                BigDecimal span = high.subtract(low).add(BigDecimal.TEN);
                BigDecimal from = hasLow ? low : high.subtract(span);
                BigDecimal value = from.add(span.multiply(BigDecimal.valueOf(r.nextDouble())))
                        .setScale(r.nextInt(5), RoundingMode.HALF_EVEN);
                boolean aboveLow = !hasLow || (lowKeyword.equals("minimum") ? value.compareTo(low) >= 0
                        : value.compareTo(low) > 0);
                boolean belowHigh = !hasHigh || (highKeyword.equals("maximum") ? value.compareTo(high) <= 0
                        : value.compareTo(high) < 0);
                if (aboveLow && belowHigh) {
                    return new Atom(plainNumber(value));
                }
            }
        });
    }

    /** Any number as the grammar writes it: at most 16 integer and fraction digits, a two-digit exponent. */
    private static Json anyNumber(SplittableRandom r) {
        BigDecimal value = BigDecimal.valueOf(r.nextLong(-99_999_999, 99_999_999), r.nextInt(6));
        String text = plainNumber(value);
        if (r.nextInt(4) == 0) {
            text += (r.nextBoolean() ? "e" : "E") + (r.nextBoolean() ? "" : r.nextBoolean() ? "+" : "-")
                    + r.nextInt(1, 99);
        }
        return new Atom(text);
    }

    /** A decimal without exponent and never "-0". */
    private static String plainNumber(BigDecimal value) {
        String text = value.toPlainString();
        return value.signum() == 0 ? text.replace("-", "") : text;
    }

    private Gen string() {
        return switch (random.nextInt(5)) {
            case 0 -> gen("{\"type\":\"string\"}", r -> stringAtom(randomText(r, 0, 8)));
            case 1 -> {
                int min = random.nextInt(4);
                int max = min + random.nextInt(5);
                ObjectNode schema = object("{\"type\":\"string\"}");
                boolean hasMin = min > 0 && random.nextBoolean();
                boolean hasMax = !hasMin || random.nextBoolean();
                if (hasMin) {
                    schema.put("minLength", min);
                }
                if (hasMax) {
                    schema.put("maxLength", max);
                }
                int shortest = hasMin ? min : 0;
                int longest = hasMax ? max : min + 6;
                yield new Gen(schema, r -> stringAtom(randomText(r, shortest, longest)));
            }
            case 2, 3 -> {
                RandomRegex.Pattern pattern = new RandomRegex(random).next();
                ObjectNode schema = object("{\"type\":\"string\"}");
                schema.put("pattern", pattern.text());
                yield new Gen(schema, r -> stringAtom(pattern.sample(r)));
            }
            default -> format();
        };
    }

    private Gen format() {
        String name = List.of("date", "time", "date-time", "uuid", "ipv4").get(random.nextInt(5));
        ObjectNode schema = object("{\"type\":\"string\"}");
        schema.put("format", name);
        return new Gen(schema, r -> stringAtom(switch (name) {
            case "date" -> date(r);
            case "time" -> time(r);
            case "date-time" -> date(r) + "T" + time(r);
            case "uuid" -> uuid(r);
            default -> r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
        }));
    }

    private static String date(SplittableRandom r) {
        int month = r.nextInt(1, 13);
        int days = switch (month) {
            case 2 -> 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
        return String.format("%04d-%02d-%02d", r.nextInt(1000, 10000), month, r.nextInt(1, days + 1));
    }

    private static String time(SplittableRandom r) {
        String fraction = r.nextBoolean() ? "" : "." + "123456789".substring(0, r.nextInt(1, 10));
        String offset = r.nextBoolean() ? "Z" : String.format("%s%02d:%02d", r.nextBoolean() ? "+" : "-",
                r.nextInt(18), r.nextInt(1, 60));
        return String.format("%02d:%02d:%02d", r.nextInt(24), r.nextInt(60), r.nextInt(60)) + fraction + offset;
    }

    private static String uuid(SplittableRandom r) {
        StringBuilder out = new StringBuilder();
        for (int group : new int[] {8, 4, 4, 4, 12}) {
            if (!out.isEmpty()) {
                out.append('-');
            }
            for (int i = 0; i < group; i++) {
                String digit = Integer.toHexString(r.nextInt(16));
                out.append(r.nextBoolean() ? digit : digit.toUpperCase());
            }
        }
        return out.toString();
    }

    private Gen enumeration() {
        List<JsonNode> values = distinctValues(1 + random.nextInt(4));
        ObjectNode schema = NODES.objectNode();
        ArrayNode list = schema.putArray("enum");
        values.forEach(list::add);
        if (values.stream().allMatch(JsonNode::isTextual) && random.nextBoolean()) {
            schema.put("type", "string");
        }
        return new Gen(schema, r -> new Atom(text(values.get(r.nextInt(values.size())))));
    }

    private Gen constant() {
        JsonNode value = distinctValues(1).getFirst();
        ObjectNode schema = NODES.objectNode();
        schema.set("const", value);
        return new Gen(schema, r -> new Atom(text(value)));
    }

    private List<JsonNode> distinctValues(int count) {
        Set<String> seen = new LinkedHashSet<>();
        List<JsonNode> values = new ArrayList<>();
        while (values.size() < count) {
            JsonNode value = switch (random.nextInt(7)) {
                case 0 -> NODES.textNode(randomText(random, 0, 6));
                case 1 -> NODES.numberNode(random.nextInt(-100, 100));
                case 2 -> NODES.numberNode(BigDecimal.valueOf(random.nextInt(-1000, 1000), 2));
                case 3 -> NODES.booleanNode(random.nextBoolean());
                case 4 -> NODES.nullNode();
                case 5 -> NODES.arrayNode().add(random.nextInt(10)).add(randomText(random, 0, 3));
                default -> NODES.objectNode().put("k", randomText(random, 0, 3));
            };
            if (seen.add(text(value))) {
                values.add(value);
            }
        }
        return values;
    }

    private Gen object(int depth) {
        List<String> names = propertyNames(random.nextInt(5));
        ObjectNode schema = object("{\"type\":\"object\"}");
        ObjectNode properties = schema.putObject("properties");
        List<Gen> gens = new ArrayList<>();
        for (String name : names) {
            Gen gen = any(depth + 1);
            properties.set(name, gen.schema());
            gens.add(gen);
        }
        List<String> required = names.stream().filter(n -> random.nextBoolean()).toList();
        if (!required.isEmpty() || random.nextBoolean()) {
            ArrayNode list = schema.putArray("required");
            required.forEach(list::add);
        }
        Gen additional = null;
        switch (random.nextInt(4)) {
            case 0 -> schema.put("additionalProperties", false);
            case 1 -> {
                schema.put("additionalProperties", true);
                additional = new Gen(NODES.objectNode(), RandomSchemas::anyValue);
            }
            case 2 -> {
                additional = any(MAX_DEPTH);
                schema.set("additionalProperties", additional.schema());
            }
            default -> {
                if (names.isEmpty()) {
                    additional = new Gen(NODES.objectNode(), RandomSchemas::anyValue);
                }
            }
        }
        if (names.isEmpty() && random.nextBoolean()) {
            schema.remove("properties");
        }
        Gen extra = additional;
        return new Gen(schema, r -> objectInstance(r, names, gens, required, extra));
    }

    private static Json objectInstance(SplittableRandom r, List<String> names, List<Gen> gens, List<String> required,
            Gen extra) {
        List<Map.Entry<String, Json>> members = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (required.contains(names.get(i))) {
                members.add(Map.entry(names.get(i), gens.get(i).instances().apply(r)));
            }
        }
        for (int i = 0; i < names.size(); i++) {
            if (!required.contains(names.get(i)) && r.nextBoolean()) {
                members.add(Map.entry(names.get(i), gens.get(i).instances().apply(r)));
            }
        }
        if (extra != null) {
            Set<String> used = new LinkedHashSet<>(names);
            for (int i = r.nextInt(3); i > 0; i--) {
                String key = randomText(r, 0, 5);
                if (used.add(key)) {
                    members.add(Map.entry(key, extra.instances().apply(r)));
                }
            }
        }
        return new Obj(members);
    }

    private Gen array(int depth) {
        ObjectNode schema = object("{\"type\":\"array\"}");
        List<Gen> prefix = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            ArrayNode list = schema.putArray("prefixItems");
            for (int i = random.nextInt(1, 3); i > 0; i--) {
                Gen gen = any(depth + 1);
                list.add(gen.schema());
                prefix.add(gen);
            }
        }
        Gen items = null;
        switch (random.nextInt(prefix.isEmpty() ? 2 : 3)) {
            case 0 -> {
                items = any(depth + 1);
                schema.set("items", items.schema());
            }
            case 1 -> {
                if (prefix.isEmpty()) {
                    items = new Gen(NODES.objectNode(), RandomSchemas::anyValue);
                }
            }
            default -> schema.put("items", false);
        }
        int min = random.nextInt(3);
        int max = items == null ? prefix.size() : min + random.nextInt(4);
        min = Math.min(min, max);
        if (random.nextBoolean()) {
            schema.put("minItems", min);
        } else {
            min = 0;
        }
        if (random.nextBoolean() || items != null) {
            schema.put("maxItems", max);
        }
        int low = min;
        int high = max;
        Gen item = items;
        return new Gen(schema, r -> {
            int count = low + r.nextInt(high - low + 1);
            List<Json> elements = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                elements.add((i < prefix.size() ? prefix.get(i) : item).instances().apply(r));
            }
            return new Arr(elements);
        });
    }

    /** A string, integer or boolean that may also be null, as a list of types. */
    private Gen nullable(int depth) {
        Gen base = switch (random.nextInt(3)) {
            case 0 -> string();
            case 1 -> integer();
            default -> object(depth);
        };
        ObjectNode schema = base.schema().deepCopy();
        schema.putArray("type").add(base.schema().get("type").textValue()).add("null");
        return new Gen(schema, r -> r.nextInt(3) == 0 ? new Atom("null") : base.instances().apply(r));
    }

    private Gen anyOf(int depth) {
        List<Gen> branches = new ArrayList<>();
        for (int i = random.nextInt(2, 4); i > 0; i--) {
            branches.add(any(depth + 1));
        }
        ObjectNode schema = NODES.objectNode();
        ArrayNode list = schema.putArray("anyOf");
        branches.forEach(b -> list.add(b.schema()));
        return new Gen(schema, r -> branches.get(r.nextInt(branches.size())).instances().apply(r));
    }

    /** oneOf whose branches have different types. */
    private Gen oneOfTypes() {
        List<Supplier<Gen>> kinds = new ArrayList<>(List.of(this::string, this::integer,
                () -> gen("{\"type\":\"boolean\"}", r -> new Atom(r.nextBoolean() ? "true" : "false")),
                () -> gen("{\"type\":\"null\"}", r -> new Atom("null"))));
        List<Gen> branches = new ArrayList<>();
        for (int i = random.nextInt(2, 4); i > 0; i--) {
            branches.add(kinds.remove(random.nextInt(kinds.size())).get());
        }
        ObjectNode schema = NODES.objectNode();
        ArrayNode list = schema.putArray("oneOf");
        branches.forEach(b -> list.add(b.schema()));
        return new Gen(schema, r -> branches.get(r.nextInt(branches.size())).instances().apply(r));
    }

    /** oneOf of objects told apart by a required "kind" with different constants. */
    private Gen oneOfTagged(int depth) {
        List<Gen> branches = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String tag = "k" + i;
            Gen rest = any(depth + 1);
            ObjectNode schema = object("{\"type\":\"object\",\"required\":[\"kind\"]}");
            ObjectNode properties = schema.putObject("properties");
            properties.set("kind", object("{\"const\":\"" + tag + "\"}"));
            properties.set("data", rest.schema());
            branches.add(new Gen(schema, r -> new Obj(r.nextBoolean()
                    ? List.of(Map.entry("kind", new Atom("\"" + tag + "\"")))
                    : List.of(Map.entry("kind", new Atom("\"" + tag + "\"")), Map.entry("data",
                            rest.instances().apply(r))))));
        }
        ObjectNode schema = NODES.objectNode();
        schema.putArray("oneOf").add(branches.get(0).schema()).add(branches.get(1).schema());
        return new Gen(schema, r -> branches.get(r.nextInt(2)).instances().apply(r));
    }

    private Gen reference(int depth) {
        Gen target = any(depth + 1);
        String name = "d" + defs.size();
        defs.set(name, target.schema());
        ObjectNode schema = NODES.objectNode().put("$ref", "#/$defs/" + name);
        if (random.nextBoolean()) {
            schema.put("description", "a reference");
        }
        return new Gen(schema, target.instances());
    }

    /** allOf of two object schemas with different properties, merged by the converter. */
    private Gen allOfObjects(int depth) {
        List<String> names = propertyNames(random.nextInt(1, 5));
        int split = random.nextInt(names.size() + 1);
        List<Gen> gens = new ArrayList<>();
        List<String> required = new ArrayList<>();
        ArrayNode parts = NODES.arrayNode();
        for (List<String> half : List.of(names.subList(0, split), names.subList(split, names.size()))) {
            ObjectNode part = NODES.objectNode();
            ObjectNode properties = part.putObject("properties");
            ArrayNode requiredList = part.putArray("required");
            for (String name : half) {
                Gen gen = any(depth + 1);
                properties.set(name, gen.schema());
                gens.add(gen);
                if (random.nextBoolean()) {
                    requiredList.add(name);
                    required.add(name);
                }
            }
            parts.add(part);
        }
        ObjectNode schema = object("{\"type\":\"object\"}");
        schema.set("allOf", parts);
        return new Gen(schema, r -> objectInstance(r, names, gens, required, null));
    }

    /** A recursive tree: a value and optional children of the same schema. */
    private Gen tree() {
        defs.set("tree", object("{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},\"kids\":"
                + "{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/tree\"},\"maxItems\":2}},\"required\":[\"v\"]}"));
        return new Gen(object("{\"$ref\":\"#/$defs/tree\"}"), r -> treeInstance(r, 0));
    }

    private static Json treeInstance(SplittableRandom r, int depth) {
        Json v = new Atom(Integer.toString(r.nextInt(-50, 50)));
        if (depth > 3 || r.nextBoolean()) {
            return new Obj(List.of(Map.entry("v", v)));
        }
        List<Json> kids = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            kids.add(treeInstance(r, depth + 1));
        }
        return new Obj(List.of(Map.entry("v", v), Map.entry("kids", new Arr(kids))));
    }

    /** Any JSON value in canonical form, small. */
    static Json anyValue(SplittableRandom r) {
        return anyValue(r, 0);
    }

    private static Json anyValue(SplittableRandom r, int depth) {
        return switch (r.nextInt(depth > 1 ? 5 : 7)) {
            case 0 -> new Atom("null");
            case 1 -> new Atom(r.nextBoolean() ? "true" : "false");
            case 2 -> anyNumber(r);
            case 3, 4 -> stringAtom(randomText(r, 0, 5));
            case 5 -> {
                List<Json> items = new ArrayList<>();
                for (int i = r.nextInt(3); i > 0; i--) {
                    items.add(anyValue(r, depth + 1));
                }
                yield new Arr(items);
            }
            default -> {
                List<Map.Entry<String, Json>> members = new ArrayList<>();
                Set<String> used = new LinkedHashSet<>();
                for (int i = r.nextInt(3); i > 0; i--) {
                    String key = randomText(r, 0, 4);
                    if (used.add(key)) {
                        members.add(Map.entry(key, anyValue(r, depth + 1)));
                    }
                }
                yield new Obj(members);
            }
        };
    }

    private List<String> propertyNames(int count) {
        Set<String> names = new LinkedHashSet<>();
        while (names.size() < count) {
            names.add(NAMES[random.nextInt(NAMES.length)]);
        }
        return List.copyOf(names);
    }

    /** Text of min to max code points, the troublesome ones included. */
    static String randomText(SplittableRandom r, int min, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = min + r.nextInt(max - min + 1); i > 0; i--) {
            int c = r.nextInt(3) == 0 ? RandomRegex.POOL[r.nextInt(RandomRegex.POOL.length)] : r.nextInt('a', 'z' + 1);
            out.appendCodePoint(c);
        }
        return out.toString();
    }

    private static Json stringAtom(String value) {
        return new Atom(text(NODES.textNode(value)));
    }

    private static Gen gen(String schema, Function<SplittableRandom, Json> instances) {
        return new Gen(object(schema), instances);
    }

    private static ObjectNode object(String json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
