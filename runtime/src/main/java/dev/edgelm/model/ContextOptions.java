package dev.edgelm.model;

/**
 * How a sequence's context is set up.
 *
 * @param contextLength positions the KV cache holds; 0 for the model's trained length capped at
 *                      {@link #DEFAULT_MAX_CONTEXT}
 * @param kvCacheType   how keys and values are stored
 * @param batchSize     the most prompt positions run through the matrices at once
 */
public record ContextOptions(int contextLength, KvCacheType kvCacheType, int batchSize) {

    /** The default context when a model was trained for more: llama.cpp's default {@code n_ctx}. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    /** The default batch: enough positions per weight pass to amortise reading the weights. */
    public static final int DEFAULT_BATCH = 64;

    /** Checks the values. */
    public ContextOptions {
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must not be negative, got " + contextLength);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        java.util.Objects.requireNonNull(kvCacheType);
    }

    /** The model's context (up to 4096), an F16 cache and the default batch. */
    public static ContextOptions defaults() {
        return new ContextOptions(0, KvCacheType.F16, DEFAULT_BATCH);
    }

    /** These options with another context length. */
    public ContextOptions withContextLength(int value) {
        return new ContextOptions(value, kvCacheType, batchSize);
    }

    /** These options with another KV cache type. */
    public ContextOptions withKvCacheType(KvCacheType value) {
        return new ContextOptions(contextLength, value, batchSize);
    }

    /** These options with another batch size. */
    public ContextOptions withBatchSize(int value) {
        return new ContextOptions(contextLength, kvCacheType, value);
    }
}
