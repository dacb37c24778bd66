package dev.edgelm.testbench.peerbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The comparison: per fixture, each engine's rounds, their medians and the ratios EdgeLM / llama.cpp, as Markdown
 * tables or one JSON object.
 *
 * @param settings what both engines ran
 * @param fixtures one result per fixture, in the order asked for
 */
public record PeerBenchReport(Settings settings, List<FixtureResult> fixtures) {

    private static final double MIB = 1024 * 1024;

    /**
     * The run's parameters.
     *
     * @param promptTokens    {@code -p}
     * @param generatedTokens {@code -n}
     * @param threads         {@code -t}, both engines
     * @param rounds          alternations EdgeLM, llama.cpp per fixture
     * @param vectorBits      EdgeLM's forced vector width, 0 for its preferred one
     * @param ttftPrompt      the time-to-first-token prompt
     */
    public record Settings(int promptTokens, int generatedTokens, int threads, int rounds, int vectorBits,
            String ttftPrompt) {}

    /**
     * One engine's side of a fixture.
     *
     * @param engine  "EdgeLM" or "llama.cpp"
     * @param model   the file it ran (llama.cpp runs TQ2_0 in place of I2_S)
     * @param samples the rounds it completed
     * @param error   why it stopped early, or null
     */
    public record EngineResult(String engine, String model, List<Sample> samples, String error) {

        /** The median over the rounds of {@code metric}, NaN if there is no round or no value. */
        public double median(Metric metric, FixtureSpec fixture) {
            double[] values = samples.stream().mapToDouble(s -> metric.value(s, fixture))
                    .filter(v -> !Double.isNaN(v)).sorted().toArray();
            if (values.length == 0) {
                return Double.NaN;
            }
            int middle = values.length / 2;
            return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        }

        /** The kernels or CPU backend the engine reported (the last round's). */
        public String backend() {
            return samples.isEmpty() ? "?" : samples.getLast().backend();
        }
    }

    /**
     * Both engines on one fixture.
     *
     * @param fixture  the fixture EdgeLM ran
     * @param edgeLm   EdgeLM's rounds
     * @param llamaCpp llama.cpp's rounds
     */
    public record FixtureResult(FixtureSpec fixture, EngineResult edgeLm, EngineResult llamaCpp) {

        /** EdgeLM's median over llama.cpp's median: above 1 is faster for speeds, worse for times and memory. */
        public double ratio(Metric metric) {
            return edgeLm.median(metric, fixture) / llamaCpp.median(metric, fixture);
        }
    }

    /** A row of the tables: one quantity, the same for both engines unless its label says otherwise. */
    public enum Metric {
        PREFILL_TPS("prefill_tps", "prefill, tok/s (%p-token prompt)", (s, f) -> s.prefillTps()),
        DECODE_TPS("decode_tps", "decode, tok/s (%n tokens after the prompt)", (s, f) -> s.decodeTps()),
        DECODE_CPU_CORES("decode_cpu_cores", "  CPU cores busy while decoding (process CPU time / wall time)",
                (s, f) -> s.decodeCpuCores()),
        TTFT_MS("ttft_ms", "time to first token, ms: process start to exit, %t-token prompt, 1 token",
                (s, f) -> s.ttftMs()),
        TTFT_IN_PROCESS_MS("ttft_in_process_ms", "  of which llama.cpp's model load + prefill, ms",
                (s, f) -> s.ttftInProcessMs()),
        PEAK_RSS_MIB("peak_rss_mib", "peak RSS, MiB (EdgeLM: VmHWM; llama.cpp: node's maxRSS, node included)",
                (s, f) -> s.peakRssBytes() / MIB),
        RSS_OUTSIDE_MODEL_MIB("rss_outside_model_mib", "peak RSS outside the model file's mapping, MiB (smaps)",
                (s, f) -> s.rssOutsideModelBytes() < 0 ? Double.NaN : s.rssOutsideModelBytes() / MIB),
        RSS_OTHER_MIB("rss_other_mib", "  minus the f16 KV cache of each bench's context, MiB",
                (s, f) -> s.rssOutsideModelBytes() < 0 ? Double.NaN
                        : (s.rssOutsideModelBytes() - f.kvCacheBytes(s.contextPositions())) / MIB);

        private final String key;
        private final String label;
        private final ToDoubleBiFunction<Sample, FixtureSpec> value;

        Metric(String key, String label, ToDoubleBiFunction<Sample, FixtureSpec> value) {
            this.key = key;
            this.label = label;
            this.value = value;
        }

        /** The JSON key. */
        public String key() {
            return key;
        }

        /** This quantity in {@code sample}, NaN where the engine has none. */
        public double value(Sample sample, FixtureSpec fixture) {
            return value.applyAsDouble(sample, fixture);
        }

        private String label(Settings settings) {
            return label.replace("%p", Integer.toString(settings.promptTokens()))
                    .replace("%n", Integer.toString(settings.generatedTokens()))
                    .replace("%t", Integer.toString(PeerBenchCommand.TTFT_PROMPT_TOKENS));
        }
    }

    /** One Markdown table per fixture, then a summary of the ratios. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        for (FixtureResult r : fixtures) {
            md.append(String.format(Locale.ROOT, "#### %s%n%n", r.fixture()));
            md.append(String.format(Locale.ROOT, "EdgeLM: `%s` (kernels %s); llama.cpp: `%s` (CPU backend %s); "
                    + "%d threads; medians of %d/%d rounds; time-to-first-token prompt: %s tokens; bench "
                    + "context: %s positions.%n%n",
                    r.edgeLm().model(), r.edgeLm().backend(), r.llamaCpp().model(), r.llamaCpp().backend(),
                    settings.threads(), r.edgeLm().samples().size(), r.llamaCpp().samples().size(),
                    perEngine(r, Sample::ttftPromptTokens), perEngine(r, Sample::contextPositions)));
            for (EngineResult e : List.of(r.edgeLm(), r.llamaCpp())) {
                if (e.error() != null) {
                    md.append(String.format(Locale.ROOT, "**%s failed:** %s%n%n", e.engine(), e.error()));
                }
            }
            md.append("| | EdgeLM | llama.cpp | EdgeLM / llama.cpp |\n| --- | ---: | ---: | ---: |\n");
            for (Metric m : Metric.values()) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", m.label(settings),
                        format(r.edgeLm().median(m, r.fixture())), format(r.llamaCpp().median(m, r.fixture())),
                        ratio(r.ratio(m))));
            }
            md.append(String.format(Locale.ROOT, "%nDecode per round, tok/s (CPU cores busy): %s.%n%n",
                    Stream.of(r.edgeLm(), r.llamaCpp()).map(PeerBenchReport::decodeRounds)
                            .collect(Collectors.joining("; "))));
        }
        md.append("#### Summary: EdgeLM / llama.cpp (speeds: above 1 is faster; time and memory: below 1 is less)\n\n");
        md.append("| fixture | prefill | decode | time to first token | RSS outside model and KV cache |\n");
        md.append("| --- | ---: | ---: | ---: | ---: |\n");
        for (FixtureResult r : fixtures) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", r.fixture(),
                    ratio(r.ratio(Metric.PREFILL_TPS)), ratio(r.ratio(Metric.DECODE_TPS)),
                    ratio(r.ratio(Metric.TTFT_MS)), ratio(r.ratio(Metric.RSS_OTHER_MIB))));
        }
        return md.toString();
    }

    /** The whole report, every round included, as one JSON object. */
    public String toJson() {
        ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        ObjectNode root = mapper.createObjectNode();
        root.set("settings", mapper.valueToTree(settings));
        ArrayNode list = root.putArray("fixtures");
        for (FixtureResult r : fixtures) {
            ObjectNode node = list.addObject();
            node.put("fixture", r.fixture().toString());
            node.set("edgelm", engineJson(mapper, r.edgeLm(), r.fixture()));
            node.set("llama_cpp", engineJson(mapper, r.llamaCpp(), r.fixture()));
            ObjectNode ratios = node.putObject("ratios");
            for (Metric m : Metric.values()) {
                putNumber(ratios, m.key(), r.ratio(m));
            }
        }
        return root.toString();
    }

    private static ObjectNode engineJson(ObjectMapper mapper, EngineResult e, FixtureSpec fixture) {
        ObjectNode node = mapper.createObjectNode();
        node.put("model", e.model());
        node.put("backend", e.backend());
        if (e.error() != null) {
            node.put("error", e.error());
        }
        ObjectNode medians = node.putObject("median");
        for (Metric m : Metric.values()) {
            putNumber(medians, m.key(), e.median(m, fixture));
        }
        ArrayNode rounds = node.putArray("rounds");
        for (Sample s : e.samples()) {
            // NaN is not JSON: write the record field by field, NaN as null.
            ObjectNode round = rounds.addObject();
            mapper.<ObjectNode>valueToTree(s).properties().forEach(field -> {
                if (field.getValue().isNumber() && Double.isNaN(field.getValue().asDouble())) {
                    round.putNull(field.getKey());
                } else {
                    round.set(field.getKey(), field.getValue());
                }
            });
        }
        return node;
    }

    private static void putNumber(ObjectNode node, String key, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            node.putNull(key);
        } else {
            node.put(key, value);
        }
    }

    /**
     * "EdgeLM 80.7 (1.97), 22.5 (0.96)": each round's decode speed and busy cores, in order, so that a round starved
     * by other processes shows as such rather than hiding in a median.
     */
    private static String decodeRounds(EngineResult e) {
        return e.engine() + " " + (e.samples().isEmpty() ? "none" : e.samples().stream()
                .map(s -> format(s.decodeTps()) + " (" + format(s.decodeCpuCores()) + ")")
                .collect(Collectors.joining(", ")));
    }

    /** "EdgeLM 32, llama.cpp 32": each engine's value of {@code field} (each distinct one, over the rounds). */
    private static String perEngine(FixtureResult r, ToIntFunction<Sample> field) {
        return Stream.of(r.edgeLm(), r.llamaCpp())
                .flatMap(e -> e.samples().stream().map(s -> e.engine() + " " + field.applyAsInt(s)))
                .distinct().collect(Collectors.joining(", "));
    }

    private static String format(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "n/a"
                : String.format(Locale.ROOT, "%.2fx", value);
    }
}
