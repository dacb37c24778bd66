package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelm.gguf.GgufArray;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufNestedArray;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufValue;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code edgelm info} reports about one GGUF model, rendered as text or JSON.
 *
 * <p>Arrays longer than {@link #ARRAY_PREVIEW} elements (token lists, merges) are summarised by type, length and
 * first elements: the full vocabulary is data, not information.
 */
record ModelSummary(Path path, GgufFile file, long parameters, Map<String, Integer> typeCounts,
        List<GgufTensor> unsupported) {

    static final int ARRAY_PREVIEW = 16;
    private static final int MAX_TEXT_STRING = 100;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    static ModelSummary of(Path path, GgufFile file) {
        long parameters = 0;
        Map<String, Integer> typeCounts = new LinkedHashMap<>();
        for (GgufTensor tensor : file.tensors()) {
            parameters += tensor.elementCount();
            typeCounts.merge(tensor.type().ggmlName(), 1, Integer::sum);
        }
        List<GgufTensor> unsupported = file.tensors().stream()
                .filter(t -> t.type().blockFormat().isEmpty())
                .toList();
        return new ModelSummary(path, file, parameters, typeCounts, unsupported);
    }

    private GgufMetadata metadata() {
        return file.metadata();
    }

    private String architecture() {
        return metadata().getOptionalString("general.architecture").orElse("unknown");
    }

    private long sizeBytes() {
        return file.parts().stream().mapToLong(GgufFile.Part::size).sum();
    }

    /** Tensor types the kernels cannot run yet, with how many tensors use each and the first of them. */
    private Map<String, List<GgufTensor>> unsupportedByType() {
        return unsupported.stream().collect(Collectors.groupingBy(
                t -> t.type().ggmlName(), LinkedHashMap::new, Collectors.toList()));
    }

    void printText(PrintWriter out) {
        out.printf("file:          %s (GGUF v%d, %d part%s, %s)%n", path, file.version(), file.parts().size(),
                file.parts().size() == 1 ? "" : "s", bytes(sizeBytes()));
        out.printf("architecture:  %s%n", architecture());
        metadata().getOptionalString("general.name").ifPresent(name -> out.printf("name:          %s%n", name));
        out.printf("parameters:    %s (%d tensors)%n", count(parameters), file.tensors().size());
        if (!typeCounts.isEmpty()) {
            out.printf("tensor types:  %s%n", typeCounts.entrySet().stream()
                    .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", ")));
        }
        unsupportedByType().forEach((type, tensors) -> out.printf(
                "unsupported:   %s in %d tensor%s (first: %s): EdgeLM cannot run this model yet%n",
                type, tensors.size(), tensors.size() == 1 ? "" : "s", tensors.getFirst().name()));
        out.printf("%nmetadata (%d keys):%n", metadata().size());
        int width = metadata().keys().stream().mapToInt(String::length).max().orElse(0);
        metadata().asMap().forEach((key, value) ->
                out.printf("  %-" + width + "s = %s%n", key, text(value)));
        if (!file.tensors().isEmpty()) {
            int nameWidth = file.tensors().stream().mapToInt(t -> t.name().length()).max().orElseThrow();
            out.printf("%ntensors:%n");
            for (GgufTensor tensor : file.tensors()) {
                out.printf("  %-" + nameWidth + "s  %-6s %-22s %s%n", tensor.name(), tensor.type().ggmlName(),
                        Arrays.toString(tensor.dims()), bytes(tensor.byteSize()));
            }
        }
    }

    ObjectNode toJson() {
        ObjectNode root = JSON.objectNode();
        root.put("file", path.toString());
        root.put("gguf_version", file.version());
        root.put("parts", file.parts().size());
        root.put("size_bytes", sizeBytes());
        root.put("alignment", file.alignment());
        root.put("architecture", architecture());
        root.put("parameters", parameters);
        root.put("tensor_count", file.tensors().size());
        ObjectNode types = root.putObject("tensor_types");
        typeCounts.forEach(types::put);
        ArrayNode unsupportedJson = root.putArray("unsupported_types");
        unsupportedByType().forEach((type, tensors) -> unsupportedJson.addObject()
                .put("type", type)
                .put("tensors", tensors.size())
                .put("first_tensor", tensors.getFirst().name()));
        ObjectNode metadataJson = root.putObject("metadata");
        metadata().asMap().forEach((key, value) -> metadataJson.set(key, json(value)));
        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensor tensor : file.tensors()) {
            ObjectNode t = tensors.addObject();
            t.put("name", tensor.name());
            t.put("type", tensor.type().ggmlName());
            ArrayNode shape = t.putArray("shape");
            Arrays.stream(tensor.dims()).forEach(shape::add);
            t.put("offset", tensor.dataOffset());
            t.put("bytes", tensor.byteSize());
        }
        return root;
    }

    private static JsonNode json(GgufValue value) {
        return switch (value) {
            case GgufValue.UInt8 v -> JSON.numberNode(v.value());
            case GgufValue.Int8 v -> JSON.numberNode(v.value());
            case GgufValue.UInt16 v -> JSON.numberNode(v.value());
            case GgufValue.Int16 v -> JSON.numberNode(v.value());
            case GgufValue.UInt32 v -> JSON.numberNode(v.value());
            case GgufValue.Int32 v -> JSON.numberNode(v.value());
            case GgufValue.UInt64 v -> JSON.numberNode(new java.math.BigInteger(Long.toUnsignedString(v.bits())));
            case GgufValue.Int64 v -> JSON.numberNode(v.value());
            case GgufValue.Float32 v -> JSON.numberNode(v.value());
            case GgufValue.Float64 v -> JSON.numberNode(v.value());
            case GgufValue.Bool v -> JSON.booleanNode(v.value());
            case GgufValue.Str v -> JSON.textNode(v.value());
            case GgufArray array when array.size() > ARRAY_PREVIEW -> {
                ObjectNode summary = JSON.objectNode();
                summary.put("type", array.elementType().shortName());
                summary.put("length", array.size());
                summary.set("first", elements(array, ARRAY_PREVIEW));
                yield summary;
            }
            case GgufArray array -> elements(array, array.size());
        };
    }

    private static ArrayNode elements(GgufArray array, int count) {
        ArrayNode out = JSON.arrayNode();
        for (int i = 0; i < count; i++) {
            out.add(json(element(array, i)));
        }
        return out;
    }

    /** Element {@code i} of an array as a value of its own, so one renderer serves scalars and elements. */
    private static GgufValue element(GgufArray array, int i) {
        return switch (array) {
            case GgufStringArray strings -> new GgufValue.Str(strings.get(i));
            case GgufNestedArray nested -> nested.elements().get(i);
            case GgufNumericArray numbers -> switch (numbers.elementType()) {
                case FLOAT32, FLOAT64 -> new GgufValue.Float64(numbers.getDouble(i));
                case BOOL -> new GgufValue.Bool(numbers.getBoolean(i));
                case UINT64 -> new GgufValue.UInt64(numbers.getLong(i));
                default -> new GgufValue.Int64(numbers.getLong(i));
            };
        };
    }

    private static String text(GgufValue value) {
        return switch (value) {
            case GgufValue.Str v -> JSON.textNode(abbreviate(v.value())).toString();
            case GgufArray array -> "[" + array.elementType().shortName() + " x " + array.size() + ": "
                    + elementsText(array) + "]";
            default -> json(value).toString();
        };
    }

    /** Long strings (chat templates) are cut for the text report; {@code --json} has them whole. */
    private static String abbreviate(String s) {
        return s.length() <= MAX_TEXT_STRING ? s : s.substring(0, MAX_TEXT_STRING) + "...";
    }

    private static String elementsText(GgufArray array) {
        int shown = Math.min(array.size(), 8);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < shown; i++) {
            out.append(i == 0 ? "" : ", ").append(text(element(array, i)));
        }
        return array.size() > shown ? out.append(", ...").toString() : out.toString();
    }

    private static String bytes(long bytes) {
        return bytes < 1024 ? bytes + " B" : scaled(bytes, 1024, "%.1f %s", "KiB", "MiB", "GiB", "TiB");
    }

    private static String count(long n) {
        return n < 1000 ? Long.toString(n) : scaled(n, 1000, "%.2f %s", "K", "M", "B", "T");
    }

    /** {@code value} divided by {@code base} until it is below {@code base} (or the units run out), with its unit. */
    private static String scaled(double value, int base, String format, String... units) {
        int unit = 0;
        value /= base;
        while (value >= base && unit < units.length - 1) {
            value /= base;
            unit++;
        }
        return String.format(Locale.ROOT, format, value, units[unit]);
    }
}
