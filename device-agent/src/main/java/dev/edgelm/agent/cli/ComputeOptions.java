package dev.edgelm.agent.cli;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.KvCacheType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of the commands that run a model's forward pass (a picocli mixin): compute threads, KV cache type
 * and batch size, with the same names and defaults as {@code edgelm generate}.
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
