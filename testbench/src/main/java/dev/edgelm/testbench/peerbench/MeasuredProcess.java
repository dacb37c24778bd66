package dev.edgelm.testbench.peerbench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one engine process and measures it from outside: wall time from just before the process is started to its
 * exit, and the peak resident memory outside the model file, sampled from {@code /proc/PID/smaps}.
 *
 * @param stdout          what the process printed on standard output
 * @param wallNanos       process start to exit
 * @param peakRssOutsideModelBytes the largest resident memory seen outside the mapping(s) of {@code model}
 *                        (anonymous memory, the JVM's or node's code and heaps, the KV cache), or -1 where
 *                        {@code /proc} is unavailable or the process ended before the first sample
 */
record MeasuredProcess(String stdout, long wallNanos, long peakRssOutsideModelBytes) {

    /** Frequent enough to see the steady state of a benchmark of several seconds, cheap enough not to disturb it. */
    private static final Duration SAMPLE_INTERVAL = Duration.ofMillis(200);

    /**
     * Runs {@code command} with {@code environment} added to (or, for null values, removed from) this process's.
     *
     * @throws EngineException with the process's last error line if it exits non-zero or outlives {@code timeout}
     */
    static MeasuredProcess run(List<String> command, Map<String, String> environment, Path model, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command);
        environment.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new EngineException("cannot start " + command.getFirst() + ": " + e.getMessage());
        }
        try {
            // Neither engine reads its standard input here: an immediate end of file.
            process.getOutputStream().close();
        } catch (IOException e) {
            process.destroyForcibly();
            throw new EngineException("cannot close the standard input of " + command.getFirst());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        Path smaps = Path.of("/proc", Long.toString(process.pid()), "smaps");
        String modelFile = model.toAbsolutePath().normalize().toString();
        long peak = -1;
        long deadline = start + timeout.toNanos();
        try {
            while (!process.waitFor(SAMPLE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                peak = Math.max(peak, rssOutside(smaps, modelFile));
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new EngineException(command.getFirst() + " timed out after " + timeout.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while waiting for " + command.getFirst());
        }
        long wall = System.nanoTime() - start;
        String stdout = out.join();
        if (process.exitValue() != 0) {
            throw new EngineException("exit status " + process.exitValue() + ": " + lastLine(err.join(), stdout));
        }
        return new MeasuredProcess(stdout, wall, peak);
    }

    /**
     * The sum of the {@code Rss:} lines of every mapping except those of {@code modelFile}, or -1 if the process is
     * gone. The pages of the model file are the page cache's, shared and evictable: the memory an engine adds to a
     * device is the rest.
     */
    private static long rssOutside(Path smaps, String modelFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(smaps, StandardCharsets.ISO_8859_1);
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
        long kilobytes = 0;
        boolean inModel = false;
        for (String line : lines) {
            if (isMappingHeader(line)) {
                inModel = line.endsWith(modelFile);
            } else if (!inModel && line.startsWith("Rss:")) {
                kilobytes += Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return kilobytes * 1024;
    }

    /** A mapping's first line ("7f12a000-7f12b000 r--p ... path") rather than one of its "Key: value" lines. */
    private static boolean isMappingHeader(String line) {
        int dash = line.indexOf('-');
        int colon = line.indexOf(':');
        return dash > 0 && (colon < 0 || dash < colon) && Character.digit(line.charAt(0), 16) >= 0;
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The error to show: the last non-blank line of standard error, else of standard output. */
    private static String lastLine(String stderr, String stdout) {
        for (String text : List.of(stderr, stdout)) {
            List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (!lines.isEmpty()) {
                return lines.getLast();
            }
        }
        return "no output";
    }
}
