package dev.edgelm.model;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.function.BiFunction;

/**
 * A model ready to run: the memory-mapped file, its hyperparameters, its weights bound to the kernels' types and
 * its tokenizer. Immutable and shareable between threads; each sequence gets its own {@link ForwardPass}.
 */
public final class Model implements AutoCloseable {
    private final ModelFile file;
    /** Memory of the weights copied out of the file into the kernels' layout. */
    private final Arena copies;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;

    private Model(ModelFile file, Arena copies, ModelConfig config, ModelWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.copies = copies;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    /**
     * Opens {@code path} for the kernels chosen at start-up ({@link Kernels#get()}), as {@link #open(Path, Kernels)}
     * does.
     */
    public static Model open(Path path) throws IOException {
        return open(path, Kernels.get());
    }

    /**
     * Opens and checks {@code path}: tensor types, architecture, hyperparameters, tensor shapes and tokenizer. The
     * matrices are put in the layout {@code kernels} multiply fastest ({@link Kernels#prepare}): those it copies
     * out of the mapped file (Q4_0 for the vector kernels) take memory of their own, once, at open
     * ({@link #openMapped} makes none). Any kernels can run the model afterwards: every implementation multiplies
     * every layout.
     *
     * @throws IOException if the file cannot be read
     * @throws dev.edgelm.gguf.GgufFormatException if it is not a valid GGUF model (a key or tensor is missing, a
     *     shape is wrong)
     * @throws UnsupportedTensorTypeException if a tensor has a type EdgeLM cannot run
     * @throws UnsupportedArchitectureException if EdgeLM does not run its architecture
     * @throws dev.edgelm.tokenizer.UnsupportedTokenizerException if its tokenizer is not one EdgeLM has
     */
    public static Model open(Path path, Kernels kernels) throws IOException {
        return open(path, kernels::prepare);
    }

    /**
     * Opens {@code path} as {@link #open(Path, Kernels)} does, with every matrix left where it lies in the mapped
     * file: no memory for copies, and the speed of the GGUF layout.
     */
    public static Model openMapped(Path path) throws IOException {
        return open(path, (w, copies) -> w);
    }

    private static Model open(Path path, BiFunction<WeightMatrix, Arena, WeightMatrix> layout) throws IOException {
        ModelFile file = ModelFile.open(path);
        Arena copies = Arena.ofShared();
        try {
            GgufFile gguf = file.gguf();
            ModelConfig config = ModelConfig.read(gguf);
            ModelWeights weights = ModelWeights.bind(gguf, config, w -> layout.apply(w, copies));
            Tokenizer tokenizer = Tokenizers.fromGguf(gguf.metadata());
            if (tokenizer.vocabularySize() != config.vocabularySize()) {
                throw new dev.edgelm.gguf.GgufFormatException(gguf.parts().getFirst().source(), -1,
                        "the tokenizer has " + tokenizer.vocabularySize() + " tokens, the embedding "
                                + config.vocabularySize() + " rows");
            }
            return new Model(file, copies, config, weights, tokenizer);
        } catch (RuntimeException e) {
            copies.close();
            file.close();
            throw e;
        }
    }

    /** The hyperparameters. */
    public ModelConfig config() {
        return config;
    }

    /** The weights (valid until {@link #close()}). */
    public ModelWeights weights() {
        return weights;
    }

    /** The tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The underlying file. */
    public GgufFile gguf() {
        return file.gguf();
    }

    /**
     * A new sequence: an empty KV cache of {@code options.contextLength()} positions (the model's trained length
     * when 0, capped at {@link ContextOptions#DEFAULT_MAX_CONTEXT}) and batch buffers.
     *
     * @throws IllegalArgumentException if the context is longer than the model was trained for
     */
    public ForwardPass newSequence(Kernels kernels, ComputePool pool, ContextOptions options) {
        int context = options.contextLength() == 0
                ? Math.min(config.contextLength(), ContextOptions.DEFAULT_MAX_CONTEXT)
                : options.contextLength();
        if (context > config.contextLength()) {
            throw new IllegalArgumentException("a context of " + context + " is longer than the "
                    + config.contextLength() + " the model was trained for");
        }
        KvCache cache = KvCache.allocate(options.kvCacheType(), config, context);
        return new ForwardPass(config, weights, kernels, pool, cache, Math.min(options.batchSize(), context));
    }

    /** Unmaps the file and frees the weights' copies; the model and its sequences are unusable afterwards. */
    @Override
    public void close() {
        copies.close();
        file.close();
    }
}
