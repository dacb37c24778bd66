package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Locale;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
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
 * continue after the prompt, as in a generation. One untimed warm-up run lets the JIT compile the kernels; the speeds are the mean and
 * standard deviation over the timed repetitions. Also reports the process's peak resident memory.
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
            + "peak_rss_bytes, model_size_bytes, threads, kernels, ...")
    boolean json;

    /** Speeds over the timed repetitions, in tokens per second. */
    record Speed(double mean, double stddev) {
        /** Mean and sample standard deviation (0 for a single repetition). */
        static Speed of(double[] samples) {
            double mean = Arrays.stream(samples).average().orElseThrow();
            double squares = Arrays.stream(samples).map(s -> (s - mean) * (s - mean)).sum();
            return new Speed(mean, samples.length > 1 ? Math.sqrt(squares / (samples.length - 1)) : 0);
        }
    }

    /** What the benchmark found. */
    record Report(String architecture, long modelSizeBytes, int threads, String kernels, Speed prefill,
            Speed decode, OptionalLong peakRssBytes) {}

    @Override
    public Integer call() throws IOException {
        if (promptTokens < 1 || generatedTokens < 1 || repetitions < 1) {
            throw new ParameterException(spec.commandLine(), "-p, -n and -r must be at least 1, got -p "
                    + promptTokens + " -n " + generatedTokens + " -r " + repetitions);
        }
        ContextOptions options = compute.context(promptTokens + generatedTokens);
        try (Model m = Model.open(model); ComputePool pool = new ComputePool(compute.threadCount())) {
            Kernels kernels = Kernels.get();
            ForwardPass pass = m.newSequence(kernels, pool, options);
            int[] tokens = new SplittableRandom(SEED)
                    .ints(promptTokens + generatedTokens, 0, m.config().vocabularySize()).toArray();
            float[] logits = new float[m.config().vocabularySize()];
            double[] prefill = new double[repetitions];
            double[] decode = new double[repetitions];
            for (int run = -1; run < repetitions; run++) {
                // Run -1 is the untimed warm-up. Each run starts again at position 0, overwriting the cache, as
                // llama-bench clears it.
                long start = System.nanoTime();
                pass.forward(tokens, 0, promptTokens, 0, logits);
                long prefilled = System.nanoTime();
                for (int i = promptTokens; i < tokens.length; i++) {
                    pass.forward(tokens, i, 1, i, logits);
                }
                long end = System.nanoTime();
                if (run >= 0) {
                    prefill[run] = promptTokens * 1e9 / (prefilled - start);
                    decode[run] = generatedTokens * 1e9 / (end - prefilled);
                }
            }
            // All the files of a split model.
            long size = m.gguf().parts().stream().mapToLong(GgufFile.Part::size).sum();
            Report report = new Report(m.config().architecture().ggufName(), size, pool.threads(), kernels.name(),
                    Speed.of(prefill), Speed.of(decode), peakRssBytes());
            PrintWriter out = spec.commandLine().getOut();
            out.println(json ? toJson(report) : toText(report));
            out.flush();
        }
        return 0;
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
                model:    %s (%s, %.1f MiB)
                threads:  %d, kernels: %s
                prefill:  %d tokens, %.2f +/- %.2f tokens/s
                decode:   %d tokens, %.2f +/- %.2f tokens/s
                peak RSS: %s
                repetitions: %d after one warm-up""",
                model, r.architecture(), r.modelSizeBytes() / 1048576.0, r.threads(), r.kernels(), promptTokens,
                r.prefill().mean(), r.prefill().stddev(), generatedTokens, r.decode().mean(), r.decode().stddev(),
                r.peakRssBytes().isPresent()
                        ? String.format(Locale.ROOT, "%.1f MiB", r.peakRssBytes().getAsLong() / 1048576.0) : "n/a",
                repetitions);
    }

    private String toJson(Report r) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("prefill_tps", r.prefill().mean());
        node.put("prefill_tps_stddev", r.prefill().stddev());
        node.put("decode_tps", r.decode().mean());
        node.put("decode_tps_stddev", r.decode().stddev());
        if (r.peakRssBytes().isPresent()) {
            node.put("peak_rss_bytes", r.peakRssBytes().getAsLong());
        } else {
            node.putNull("peak_rss_bytes");
        }
        node.put("model_size_bytes", r.modelSizeBytes());
        node.put("architecture", r.architecture());
        node.put("threads", r.threads());
        node.put("kernels", r.kernels());
        node.put("n_prompt", promptTokens);
        node.put("n_gen", generatedTokens);
        node.put("repetitions", repetitions);
        return mapper.writeValueAsString(node);
    }
}
