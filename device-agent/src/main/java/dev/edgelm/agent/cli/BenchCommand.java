package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.ForwardPass;
import dev.edgelm.model.Model;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm bench}: the model's raw speed, measured much as llama.cpp's {@code llama-bench} does: a prefill of
 * pseudo-random tokens in batches, then decode steps of one pseudo-random token each, with no sampling (so only the
 * forward pass is timed). Unlike llama-bench, whose decode test starts from an empty context, the decode steps
 * continue after the prompt, as in a generation. One untimed warm-up run lets the JIT compile the kernels; the
 * speeds are the mean and standard deviation over the timed repetitions. Also reports the process's peak resident
 * memory, and how many CPU cores the process kept busy while it decoded (its CPU time over the wall time): on a
 * shared machine a slow run with fewer busy cores than threads was starved by other processes, not slow itself.
 *
 * <p>With {@code --grammar FILE} or {@code --json-schema FILE} it measures what the constraint costs instead: each
 * repetition generates from the same prompt twice on one session, with sampling (llama.cpp's defaults, the same
 * seed for both), once free and once constrained by the grammar, the order alternating from one repetition to the
 * next so that a drift in the machine's load favours neither; both go past end-of-generation tokens, so the free one
 * always runs to {@code -n} and the constrained one to {@code -n} or the end of the grammar. It reports both decode
 * speeds, the ratio of their times per token, and the share of the constrained decode time that the grammar itself
 * took (measured inside the generation, so it is far less noisy than the ratio of two speeds on a busy machine).
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure prefill and decode speed (tokens/s, mean and standard deviation over repetitions "
                + "after one warm-up run) and peak memory, much as llama-bench does: pseudo-random tokens, no "
                + "sampling; the decode steps continue after the prompt.")
final class BenchCommand implements Callable<Integer> {

    /** Where Linux reports the peak resident set ({@code VmHWM}). */
    private static final Path PROC_STATUS = Path.of("/proc/self/status");
    private static final long SEED = 1234;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "The model.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "128",
            description = "Prompt tokens to prefill (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "64",
            description = "Tokens to decode after the prompt (default: ${DEFAULT-VALUE}).")
    int generatedTokens;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "5",
            description = "Timed repetitions after the warm-up (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--json", description = "Print one JSON object: prefill_tps, decode_tps (and their _stddev), "
            + "decode_cpu_cores, peak_rss_bytes, model_size_bytes, threads, kernels, ...; with --grammar or --json-schema, decode_tps, "
            + "constrained_decode_tps, grammar_share, time_ratio_median, ...")
    boolean json;

    /** With a grammar or schema, the bench measures what it costs instead (free and constrained, alternated). */
    @Mixin
    GrammarOptions grammarOptions;

    /** Speeds over the timed repetitions, in tokens per second. */
    record Speed(double mean, double stddev) {
        /** Mean and sample standard deviation (0 for a single repetition). */
        static Speed of(double[] samples) {
            double mean = Arrays.stream(samples).average().orElseThrow();
            double squares = Arrays.stream(samples).map(s -> (s - mean) * (s - mean)).sum();
            return new Speed(mean, samples.length > 1 ? Math.sqrt(squares / (samples.length - 1)) : 0);
        }
    }

    /** The model and machine a benchmark ran on, and the process's peak resident memory afterwards. */
    record SetUp(String architecture, long modelSizeBytes, int threads, String kernels, OptionalLong peakRssBytes) {
        static SetUp of(Model m, ComputePool pool) {
            // All the files of a split model.
            long size = m.gguf().parts().stream().mapToLong(GgufFile.Part::size).sum();
            return new SetUp(m.config().architecture().ggufName(), size, pool.threads(), Kernels.get().name(),
                    BenchCommand.peakRssBytes());
        }
    }

    /**
     * What the benchmark found; {@code decodeCpuCores} is the process's CPU time over the wall time of the timed
     * decodes (NaN where the JVM does not report CPU time).
     */
    record Report(SetUp setUp, Speed prefill, Speed decode, double decodeCpuCores) {}

    /**
     * What the grammar benchmark found: decode speeds free and constrained, the constrained runs' mean length and
     * stop reasons, the share of their decode time the grammar itself took, and per repetition the constrained time
     * per token over the free one.
     */
    record GrammarReport(SetUp setUp, Speed free, Speed constrained, double constrainedTokens,
            Map<String, Integer> stops, double grammarShare, double[] timeRatios) {
        /** The median of the per-repetition ratios. */
        double medianRatio() {
            double[] sorted = timeRatios.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        /** The ratio of the mean speeds. */
        double ratioOfMeans() {
            return free.mean() / constrained.mean();
        }
    }

    @Override
    public Integer call() throws IOException {
        if (promptTokens < 1 || generatedTokens < 1 || repetitions < 1) {
            throw new ParameterException(spec.commandLine(), "-p, -n and -r must be at least 1, got -p "
                    + promptTokens + " -n " + generatedTokens + " -r " + repetitions);
        }
        Grammar grammar = grammarOptions.grammar().orElse(null);
        ContextOptions options = compute.context(promptTokens + generatedTokens);
        try (Model m = compute.open(model); ComputePool pool = new ComputePool(compute.threadCount())) {
            if (grammar != null) {
                GrammarReport report = benchGrammar(m, pool, options, grammar);
                PrintWriter out = spec.commandLine().getOut();
                out.println(json ? toJson(report) : toText(report));
                out.flush();
                return 0;
            }
            Kernels kernels = Kernels.get();
            ForwardPass pass = m.newSequence(kernels, pool, options);
            int[] tokens = new SplittableRandom(SEED)
                    .ints(promptTokens + generatedTokens, 0, m.config().vocabularySize()).toArray();
            float[] logits = new float[m.config().vocabularySize()];
            double[] prefill = new double[repetitions];
            double[] decode = new double[repetitions];
            boolean cpuClock = ProcessCpuClock.nanos().isPresent();
            long decodeCpuNanos = 0;
            long decodeWallNanos = 0;
            for (int run = -1; run < repetitions; run++) {
                // Run -1 is the untimed warm-up. Each run starts again at position 0, overwriting the cache, as
                // llama-bench clears it.
                long start = System.nanoTime();
                pass.forward(tokens, 0, promptTokens, 0, logits);
                long prefilled = System.nanoTime();
                long cpuBefore = ProcessCpuClock.nanos().orElse(0);
                for (int i = promptTokens; i < tokens.length; i++) {
                    pass.forward(tokens, i, 1, i, logits);
                }
                long end = System.nanoTime();
                long cpuAfter = ProcessCpuClock.nanos().orElse(0);
                if (run >= 0) {
                    prefill[run] = promptTokens * 1e9 / (prefilled - start);
                    decode[run] = generatedTokens * 1e9 / (end - prefilled);
                    decodeCpuNanos += cpuAfter - cpuBefore;
                    decodeWallNanos += end - prefilled;
                }
            }
            double cpuCores = !cpuClock ? Double.NaN : decodeCpuNanos / (double) decodeWallNanos;
            Report report = new Report(SetUp.of(m, pool), Speed.of(prefill), Speed.of(decode), cpuCores);
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? toJson(report) : toText(report));
            out.flush();
        }
        return 0;
    }

    private GrammarReport benchGrammar(Model m, ComputePool pool, ContextOptions options, Grammar grammar) {
        Session session = new Session(m.newSequence(Kernels.get(), pool, options), m.tokenizer());
        int[] prompt = new SplittableRandom(SEED).ints(promptTokens, 0, m.config().vocabularySize()).toArray();
        double[] free = new double[repetitions];
        double[] constrained = new double[repetitions];
        double[] ratios = new double[repetitions];
        int tokens = 0;
        long grammarNanos = 0;
        long decodeNanos = 0;
        Map<String, Integer> stops = new TreeMap<>();
        for (int run = -1; run < repetitions; run++) { // run -1 is the untimed warm-up
            GenerationRequest plain = new GenerationRequest(prompt, SamplingParams.defaults().withSeed(SEED + run + 1),
                    generatedTokens, List.of(), new Cancellation(), true);
            GenerationRequest withGrammar = plain.withGrammar(grammar);
            GenerationResult a;
            GenerationResult b;
            if (run % 2 == 0) {
                a = session.generate(plain, TokenSink.none());
                b = session.generate(withGrammar, TokenSink.none());
            } else {
                b = session.generate(withGrammar, TokenSink.none());
                a = session.generate(plain, TokenSink.none());
            }
            if (run >= 0) {
                free[run] = a.decodeTokensPerSecond();
                constrained[run] = b.decodeTokensPerSecond();
                ratios[run] = free[run] / constrained[run];
                tokens += b.tokens().length;
                grammarNanos += b.grammarNanos();
                decodeNanos += b.decodeNanos();
                stops.merge(b.stopReason().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
        }
        return new GrammarReport(SetUp.of(m, pool), Speed.of(free), Speed.of(constrained),
                tokens / (double) repetitions, stops, grammarNanos / (double) decodeNanos, ratios);
    }

    /** The process's peak resident set size, where the system reports it (Linux's {@code VmHWM}). */
    static OptionalLong peakRssBytes() {
        if (!Files.isReadable(PROC_STATUS)) {
            return OptionalLong.empty();
        }
        try {
            return Files.readAllLines(PROC_STATUS).stream()
                    .filter(line -> line.startsWith("VmHWM:"))
                    // "VmHWM:     123456 kB"
                    .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")) * 1024)
                    .findFirst();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private String toText(Report r) {
        return String.format(Locale.ROOT, """
                %s
                prefill:  %d tokens, %.2f +/- %.2f tokens/s
                decode:   %d tokens, %.2f +/- %.2f tokens/s, %.2f CPU cores busy
                %s""",
                header(r.setUp()), promptTokens, r.prefill().mean(), r.prefill().stddev(), generatedTokens,
                r.decode().mean(), r.decode().stddev(), r.decodeCpuCores(), footer(r.setUp()));
    }

    private String toText(GrammarReport g) {
        String stops = g.stops().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, """
                %s
                grammar:  %s, prompt %d tokens
                decode, free:        %d tokens, %.2f +/- %.2f tokens/s
                decode, constrained: %.1f tokens on average (stopped: %s), %.2f +/- %.2f tokens/s
                grammar's share of the constrained decode time: %.2f%%
                time per token, constrained / free: %.3f (median of %d alternated pairs; %.3f from the means)
                %s""",
                header(g.setUp()), grammarOptions.file(), promptTokens, generatedTokens, g.free().mean(),
                g.free().stddev(),
                g.constrainedTokens(), stops, g.constrained().mean(), g.constrained().stddev(),
                100 * g.grammarShare(), g.medianRatio(), repetitions, g.ratioOfMeans(), footer(g.setUp()));
    }

    private String header(SetUp s) {
        return String.format(Locale.ROOT, "model:    %s (%s, %.1f MiB)%nthreads:  %d, kernels: %s", model,
                s.architecture(), s.modelSizeBytes() / 1048576.0, s.threads(), s.kernels());
    }

    private String footer(SetUp s) {
        String rss = s.peakRssBytes().isPresent()
                ? String.format(Locale.ROOT, "%.1f MiB", s.peakRssBytes().getAsLong() / 1048576.0) : "n/a";
        return String.format(Locale.ROOT, "peak RSS: %s%nrepetitions: %d after one warm-up", rss, repetitions);
    }

    private String toJson(Report r) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("prefill_tps", r.prefill().mean());
        node.put("prefill_tps_stddev", r.prefill().stddev());
        node.put("decode_tps", r.decode().mean());
        node.put("decode_tps_stddev", r.decode().stddev());
        if (Double.isNaN(r.decodeCpuCores())) {
            node.putNull("decode_cpu_cores");
        } else {
            node.put("decode_cpu_cores", r.decodeCpuCores());
        }
        putSetUp(node, r.setUp());
        return mapper.writeValueAsString(node);
    }

    private String toJson(GrammarReport g) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("decode_tps", g.free().mean());
        node.put("decode_tps_stddev", g.free().stddev());
        node.put("constrained_decode_tps", g.constrained().mean());
        node.put("constrained_decode_tps_stddev", g.constrained().stddev());
        node.put("constrained_tokens_mean", g.constrainedTokens());
        ObjectNode stops = node.putObject("constrained_stop_reasons");
        g.stops().forEach(stops::put);
        node.put("grammar_share", g.grammarShare());
        node.put("time_ratio_median", g.medianRatio());
        node.put("time_ratio_of_means", g.ratioOfMeans());
        ArrayNode ratios = node.putArray("time_ratios");
        for (double ratio : g.timeRatios()) {
            ratios.add(ratio);
        }
        node.put("grammar", grammarOptions.file().toString());
        putSetUp(node, g.setUp());
        return mapper.writeValueAsString(node);
    }

    /** The fields both reports share: memory, model, machine, and the settings. */
    private void putSetUp(ObjectNode node, SetUp s) {
        if (s.peakRssBytes().isPresent()) {
            node.put("peak_rss_bytes", s.peakRssBytes().getAsLong());
        } else {
            node.putNull("peak_rss_bytes");
        }
        node.put("model_size_bytes", s.modelSizeBytes());
        node.put("architecture", s.architecture());
        node.put("threads", s.threads());
        node.put("kernels", s.kernels());
        node.put("n_prompt", promptTokens);
        node.put("n_gen", generatedTokens);
        node.put("repetitions", repetitions);
    }
}
