package dev.edgelm.agent.cli;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of the commands that run a model's forward pass (a picocli mixin): compute threads, KV cache type,
 * batch size and weight layout, with the same names and defaults as {@code edgelm generate}.
 */
final class ComputeOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type: f16, f32 or q8_0 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "" + ContextOptions.DEFAULT_BATCH,
            description = "Tokens per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Compute threads (default: one per core).")
    Integer threads;

    @Option(names = "--mapped-weights", description = "Multiply every weight where it lies in the mapped file: no "
            + "interleaved copy of the Q4_0 matrices (less memory, slower decode).")
    boolean mappedWeights;

    /** Opens {@code path}, its matrices in the kernels' layout unless {@code --mapped-weights} was given. */
    Model open(Path path) throws IOException {
        return mappedWeights ? Model.openMapped(path) : Model.open(path);
    }

    /**
     * The context options for a context of {@code contextLength} positions.
     *
     * @throws ParameterException if the cache type or batch size is invalid
     */
    ContextOptions context(int contextLength) {
        try {
            return new ContextOptions(contextLength, KvCacheType.parse(kvType), batchSize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), e.getMessage());
        }
    }

    /** The thread count: the option's, or one per core. */
    int threadCount() {
        return threads == null ? ComputePool.defaultThreads() : threads;
    }
}
