package dev.edgelm.agent.cli;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.KvCacheType;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options of every command that runs a model: the file, its context and the compute threads. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "The model.")
    Path model;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context length; 0 for the model's, up to 4096 (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type: f16 or f32 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "" + ContextOptions.DEFAULT_BATCH,
            description = "Prompt tokens per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Compute threads (default: one per core).")
    Integer threads;

    /** The context options, or a usage error naming the bad value. */
    ContextOptions contextOptions(CommandSpec spec) {
        try {
            return new ContextOptions(contextLength, KvCacheType.parse(kvType), batchSize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** A compute pool of the requested size (the caller closes it), or a usage error. */
    ComputePool computePool(CommandSpec spec) {
        int n = threads == null ? ComputePool.defaultThreads() : threads;
        if (n <= 0) {
            throw new ParameterException(spec.commandLine(), "--threads must be positive, got " + n);
        }
        return new ComputePool(n);
    }
}
