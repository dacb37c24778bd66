package dev.edgelm.testbench.bench;

import dev.edgelm.kernels.quant.BlockFormat;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;

/**
 * Runs the memory bandwidth baseline and the kernel benchmarks in one JMH run, then reports each kernel as weight
 * bytes streamed per second and as a fraction of the bandwidth measured at the same thread count. Bytes are the
 * tensor's size in the GGUF file whatever layout ran, so layouts compare as model bytes per second (interleaved
 * Q4_0 actually reads 20 bytes per 32 values to the file's 18, interleaved Q8_0 36 to 34, interleaved Q4_K 152 per
 * 256 to 144).
 *
 * <p>Arguments are JMH's own (e.g. {@code -f 1 -wi 2 -i 3 -p shape=2048x8192}); a benchmark regex narrows the
 * kernels ({@code MatVec} by default), the bandwidth baseline always runs.
 */
public final class KernelBenchmarks {

    private KernelBenchmarks() {}

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions cli = new CommandLineOptions(args);
        List<String> includes = new ArrayList<>(cli.getIncludes());
        if (includes.isEmpty()) {
            includes.add(MatVecBenchmark.class.getSimpleName());
        }
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(cli);
        builder.include(MemoryBandwidthBenchmark.class.getSimpleName());
        includes.forEach(builder::include);
        Options options = builder.build();
        Collection<RunResult> results = new Runner(options).run();
        report(results);
    }

    private static void report(Collection<RunResult> results) {
        Map<String, Double> bandwidth = new HashMap<>();
        for (RunResult result : results) {
            if (result.getParams().getBenchmark().contains("MemoryBandwidth")) {
                bandwidth.put(result.getParams().getParam("threads"),
                        result.getPrimaryResult().getScore() * MemoryBandwidthBenchmark.BYTES);
            }
        }
        System.out.println();
        bandwidth.forEach((threads, bytes) -> System.out.printf(Locale.ROOT,
                "read bandwidth, %s thread(s): %.2f GB/s%n", threads, bytes / 1e9));
        System.out.printf(Locale.ROOT, "%-8s %-7s %-10s %-7s %-9s %-8s %10s %9s%n", "kernel", "format", "shape",
                "threads", "width", "layout", "GB/s", "fraction");
        for (RunResult result : results) {
            var params = result.getParams();
            if (params.getBenchmark().contains("MemoryBandwidth")) {
                continue;
            }
            String[] shape = params.getParam("shape").split("x");
            long bytes = BlockFormat.valueOf(params.getParam("format"))
                    .tensorBytes(Long.parseLong(shape[0]), Long.parseLong(shape[1]));
            double rate = result.getPrimaryResult().getScore() * bytes;
            Double baseline = bandwidth.get(params.getParam("threads"));
            String kernel = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            System.out.printf(Locale.ROOT, "%-8s %-7s %-10s %-7s %-9s %-8s %10.2f %9s%n", kernel,
                    params.getParam("format"), params.getParam("shape"), params.getParam("threads"),
                    params.getParam("width"), params.getParam("layout"), rate / 1e9,
                    baseline == null ? "-" : String.format(Locale.ROOT, "%.2f", rate / baseline));
        }
    }
}
