package dev.edgelm.model;

import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.QuantizedActivations;
import dev.edgelm.kernels.QuantizedActivations.Encoding;
import dev.edgelm.kernels.RopeTables;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.Quantization;
import dev.edgelm.model.ModelConfig.LayerShape;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One sequence's run through a model: its KV cache and the buffers of a batch of positions, so that a prompt is
 * processed a batch at a time through the matrix-matrix kernels and each generated token through the matrix-vector
 * ones, with no allocation per token beyond the embedding row.
 *
 * <p>The pass is llama.cpp's transformer block, with the optional steps the file's tensors call for (Q/K/V biases,
 * Q/K norms, sub-norms, fused projections, per-tensor scales): RMSNorm, projections, RoPE, causal attention over
 * the cache, output projection and residual, RMSNorm, gated FFN and residual; a final RMSNorm and the output head.
 * Activation vectors are quantized once per input and shared by every matrix that reads them (Q, K and V; gate and
 * up), in the encoding each weight format needs.
 *
 * <p>Not thread-safe: one thread drives a pass at a time; the matrix products and the attention heads run on the
 * shared {@link ComputePool}.
 */
public final class ForwardPass {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Kernels kernels;
    private final ComputePool pool;
    private final KvCache cache;
    /** RoPE angles for every position of the cache, or null for an architecture without RoPE. */
    private final RopeTables rope;
    private final int batchCapacity;

    // Buffers for up to batchCapacity positions, column after column.
    private final float[] residual;
    private final float[] normed;
    private final float[] queries;
    private final float[] keys;
    private final float[] values;
    private final float[] fusedQkv;
    private final float[] attended;
    private final float[] projected;
    private final float[] gates;
    /** Null unless some layer's FFN is gated. */
    private final float[] ups;
    /**
     * Quantized activations for each input length a projection takes (the width, and each layer's attention and FFN
     * widths, which differ between OpenELM's layers), in the encodings the matrices of that length read, allocated
     * here so that a token allocates none.
     */
    private final QuantizedActivations[] activations;
    private final AttentionJob attention;
    /** Logits of a batch that goes further into the caller's array than the front ({@link #forwardAll}). */
    private float[] logitScratch;

    /**
     * A pass over {@code model} with an empty cache.
     *
     * @param cache         where keys and values go; its capacity is the context length
     * @param batchCapacity the most positions run through the matrices at once
     * @throws IllegalArgumentException if {@code batchCapacity} is not positive
     */
    public ForwardPass(ModelConfig config, ModelWeights weights, Kernels kernels, ComputePool pool, KvCache cache,
            int batchCapacity) {
        if (batchCapacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be positive, got " + batchCapacity);
        }
        this.config = config;
        this.weights = weights;
        this.kernels = Objects.requireNonNull(kernels);
        this.pool = Objects.requireNonNull(pool);
        this.cache = cache;
        this.batchCapacity = batchCapacity;
        this.rope = config.architecture().usesRope()
                ? RopeTables.compute(cache.capacity(), config.ropeDims(), config.ropeBase(), config.ropeScale(),
                        weights.ropeFactors())
                : null;
        int b = batchCapacity;
        int dim = config.embeddingLength();
        int maxKv = config.layers().stream().mapToInt(LayerShape::kvHeads).max().orElseThrow();
        int ff = config.maxFeedForwardLength();
        // Each buffer as wide as this model's layers use it (a batch of them is megabytes): normed holds the
        // attention and FFN widths only for sub-norms (BitNet), gates a second FFN width only for a fused gate, and
        // ups exists only for a gated FFN.
        int normedWidth = Math.max(dim, Math.max(
                anyLayer(weights, w -> w.attnSubNorm() != null) ? config.maxAttentionWidth() : 0,
                anyLayer(weights, w -> w.ffnSubNorm() != null) ? ff : 0));
        residual = new float[b * dim];
        normed = new float[b * normedWidth];
        queries = new float[b * config.maxQueryWidth()];
        keys = new float[b * maxKv * config.headDimK()];
        values = new float[b * maxKv * config.headDimV()];
        fusedQkv = anyLayer(weights, LayerWeights::fusedQkv)
                ? new float[queries.length + keys.length + values.length] : null;
        attended = new float[b * config.maxAttentionWidth()];
        projected = new float[b * dim];
        gates = new float[(anyLayer(weights, LayerWeights::gateFusedIntoUp) ? 2 : 1) * b * ff];
        ups = anyLayer(weights, LayerWeights::gated) ? new float[b * ff] : null;
        attention = new AttentionJob();
        Map<Integer, Set<Encoding>> encodings = new TreeMap<>();
        Stream.concat(weights.layers().stream().flatMap(LayerWeights::linears), Stream.of(weights.output()))
                .map(Linear::weight)
                .forEach(w -> encodings.computeIfAbsent(w.cols(), cols -> EnumSet.noneOf(Encoding.class))
                        .add(Encoding.of(w.format())));
        activations = encodings.entrySet().stream()
                .map(e -> QuantizedActivations.allocate(e.getKey(), batchCapacity, e.getValue()))
                .toArray(QuantizedActivations[]::new);
    }

    private static boolean anyLayer(ModelWeights weights, Predicate<LayerWeights> test) {
        return weights.layers().stream().anyMatch(test);
    }

    /** The model's hyperparameters. */
    public ModelConfig config() {
        return config;
    }

    /** The KV cache: its capacity is the most positions a sequence can have. */
    public KvCache cache() {
        return cache;
    }

    /** The most positions run through the matrices at once. */
    public int batchCapacity() {
        return batchCapacity;
    }

    /**
     * Runs {@code count} tokens starting at {@code tokens[from]}, which sit at positions {@code position ..
     * position + count - 1} of the sequence (every earlier position must already be in the cache), and writes the
     * logits predicting the token after the last one to {@code logits} ({@code vocabularySize} values).
     *
     * @throws IllegalArgumentException if {@code count} is not positive or a token is outside the vocabulary
     * @throws ContextFullException if the positions go past the cache's capacity
     */
    public void forward(int[] tokens, int from, int count, int position, float[] logits) {
        run(tokens, from, count, position, logits, Outputs.LAST);
    }

    /**
     * As {@link #forward}, but only fills the cache: no logits, so the output head (often the largest matrix of a
     * small model) is not run. For the parts of a prompt whose predictions nobody reads.
     */
    public void prefill(int[] tokens, int from, int count, int position) {
        run(tokens, from, count, position, null, Outputs.NONE);
    }

    /**
     * As {@link #forward}, but writes the logits after every one of the {@code count} tokens: the logits after
     * token {@code i} at {@code logits[i * vocabularySize ..]} (perplexity needs them all).
     */
    public void forwardAll(int[] tokens, int from, int count, int position, float[] logits) {
        run(tokens, from, count, position, logits, Outputs.ALL);
    }

    /** Which positions' logits a run computes. */
    private enum Outputs { NONE, LAST, ALL }

    private void run(int[] tokens, int from, int count, int position, float[] logits, Outputs outputs) {
        Objects.checkFromIndexSize(from, count, tokens.length);
        if (count <= 0) {
            throw new IllegalArgumentException("at least one token is needed, got " + count);
        }
        if (position < 0 || position + count > cache.capacity()) {
            throw new ContextFullException(position + count, cache.capacity());
        }
        int vocab = config.vocabularySize();
        if (outputs != Outputs.NONE) {
            Objects.checkFromIndexSize(0, outputs == Outputs.ALL ? count * vocab : vocab, logits.length);
        }
        for (int i = from; i < from + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token " + tokens[i] + " is outside the vocabulary of " + vocab);
            }
        }
        for (int done = 0; done < count; done += batchCapacity) {
            int n = Math.min(batchCapacity, count - done);
            runBatch(tokens, from + done, n, position + done);
            if (outputs == Outputs.ALL) {
                outputHead(0, n, logits, done * vocab);
            } else if (outputs == Outputs.LAST && done + n == count) {
                outputHead(n - 1, 1, logits, 0);
            }
        }
    }

    private void runBatch(int[] tokens, int from, int n, int position) {
        int dim = config.embeddingLength();
        for (int c = 0; c < n; c++) {
            embed(tokens[from + c], position + c, c * dim);
        }
        for (int l = 0; l < config.blockCount(); l++) {
            LayerWeights w = weights.layers().get(l);
            LayerShape shape = config.layers().get(l);
            attentionBlock(l, w, shape, n, position);
            feedForwardBlock(w, shape, n);
        }
    }

    /** The token's embedding (scaled, for Gemma; plus its position's, for GPT-2) into the residual stream. */
    private void embed(int token, int position, int offset) {
        int dim = config.embeddingLength();
        row(weights.tokenEmbedding(), token, residual, offset);
        if (config.architecture().scaledEmbedding()) {
            kernels.scale(residual, offset, dim, (float) Math.sqrt(dim));
        }
        if (weights.positionEmbedding() != null) {
            row(weights.positionEmbedding(), position, projected, 0);
            kernels.add(residual, offset, projected, 0, dim);
        }
    }

    /** Row {@code r} of a matrix, dequantized (llama.cpp's get_rows: no activation rounding). */
    private static void row(WeightMatrix m, int r, float[] dst, int offset) {
        Quantization.dequantizeRow(m.format(), m.data(), m.rows(), m.cols(), r, dst, offset);
    }

    private void attentionBlock(int layer, LayerWeights w, LayerShape shape, int n, int position) {
        int dim = config.embeddingLength();
        int qWidth = shape.heads() * config.headDimK();
        int kWidth = shape.kvHeads() * config.headDimK();
        int vWidth = shape.kvHeads() * config.headDimV();
        QuantizedActivations x = normalize(residual, w.attnNorm(), w.attnNormBias(), n, dim);
        if (w.fusedQkv()) {
            int width = qWidth + kWidth + vWidth;
            project(w.qkv(), x, n, fusedQkv);
            for (int c = 0; c < n; c++) {
                System.arraycopy(fusedQkv, c * width, queries, c * qWidth, qWidth);
                System.arraycopy(fusedQkv, c * width + qWidth, keys, c * kWidth, kWidth);
                System.arraycopy(fusedQkv, c * width + qWidth + kWidth, values, c * vWidth, vWidth);
            }
        } else {
            project(w.query(), x, n, queries);
            project(w.key(), x, n, keys);
            project(w.value(), x, n, values);
        }
        int headDim = config.headDimK();
        for (int c = 0; c < n; c++) {
            if (w.queryNorm() != null) {
                normalizeHeads(queries, c * qWidth, shape.heads(), w.queryNorm());
            }
            if (w.keyNorm() != null) {
                normalizeHeads(keys, c * kWidth, shape.kvHeads(), w.keyNorm());
            }
            if (rope != null) {
                int table = rope.offset(position + c);
                kernels.rope(queries, c * qWidth, shape.heads(), headDim, config.ropeDims(), rope.cos(), rope.sin(),
                        table, config.architecture().ropeLayout());
                kernels.rope(keys, c * kWidth, shape.kvHeads(), headDim, config.ropeDims(), rope.cos(), rope.sin(),
                        table, config.architecture().ropeLayout());
            }
            cache.store(layer, position + c, keys, c * kWidth, values, c * vWidth);
        }
        attention.run(layer, shape, n, position);
        int attnWidth = shape.heads() * config.headDimV();
        QuantizedActivations a = w.attnSubNorm() != null
                ? rmsNormalize(attended, w.attnSubNorm(), n, attnWidth)
                : quantized(attended, n, attnWidth);
        project(w.attnOutput(), a, n, projected);
        addToResidual(w.attnPostNorm(), n);
    }

    /** {@code residual += projected}, each column RMS-normalised first when there is a post-norm (Gemma 2). */
    private void addToResidual(float[] postNorm, int n) {
        int dim = config.embeddingLength();
        if (postNorm != null) {
            for (int c = 0; c < n; c++) {
                kernels.rmsNorm(projected, c * dim, projected, c * dim, postNorm, 0, dim, config.normEpsilon());
            }
        }
        kernels.add(residual, 0, projected, 0, n * dim);
    }

    private void feedForwardBlock(LayerWeights w, LayerShape shape, int n) {
        int dim = config.embeddingLength();
        int ff = shape.feedForwardLength();
        // A parallel block (Phi-2) feeds the FFN the attention's normalised input, still in {@link #normed}.
        QuantizedActivations x = w.ffnNorm() == null
                ? quantized(normed, n, dim)
                : normalize(residual, w.ffnNorm(), w.ffnNormBias(), n, dim);
        if (w.gateFusedIntoUp()) {
            // One product gives [gate | up] per position: split it into the two buffers.
            project(w.up(), x, n, gates);
            for (int c = 0; c < n; c++) {
                System.arraycopy(gates, c * 2 * ff + ff, ups, c * ff, ff);
                System.arraycopy(gates, c * 2 * ff, gates, c * ff, ff);
            }
        } else if (w.gated()) {
            project(w.gate(), x, n, gates);
            project(w.up(), x, n, ups);
        } else {
            project(w.up(), x, n, gates);
        }
        activate(gates, n * ff);
        if (w.gated()) {
            kernels.mul(gates, 0, ups, 0, n * ff);
        }
        QuantizedActivations h = w.ffnSubNorm() != null
                ? rmsNormalize(gates, w.ffnSubNorm(), n, ff)
                : quantized(gates, n, ff);
        project(w.down(), h, n, projected);
        addToResidual(w.ffnPostNorm(), n);
    }

    /** The architecture's FFN activation, in place. */
    private void activate(float[] x, int count) {
        switch (config.architecture().activation()) {
            case SILU -> kernels.silu(x, 0, count);
            case SQUARED_RELU -> kernels.squaredRelu(x, 0, count);
            case GELU -> kernels.gelu(x, 0, count);
        }
    }

    /** Final norm and output head for columns [first, first + n), logits to {@code out[outOffset ..]}. */
    private void outputHead(int first, int n, float[] out, int outOffset) {
        int dim = config.embeddingLength();
        QuantizedActivations x = normalize(residual, first * dim, weights.outputNorm(), weights.outputNormBias(), n,
                dim);
        float[] target = outOffset == 0 ? out : projectedLogits(n);
        project(weights.output(), x, n, target);
        if (config.finalSoftcap() > 0) {
            kernels.softcap(target, 0, n * config.vocabularySize(), config.finalSoftcap());
        }
        if (target != out) {
            System.arraycopy(target, 0, out, outOffset, n * config.vocabularySize());
        }
    }

    /** Scratch for a batch of logits that does not start at the front of the caller's array. */
    private float[] projectedLogits(int n) {
        int size = n * config.vocabularySize();
        if (logitScratch == null || logitScratch.length < size) {
            logitScratch = new float[batchCapacity * config.vocabularySize()];
        }
        return logitScratch;
    }

    /**
     * The architecture's norm (RMSNorm, or LayerNorm with {@code bias}) of {@code n} columns of {@code src} into
     * {@link #normed}, quantized for the next projections.
     */
    private QuantizedActivations normalize(float[] src, float[] weight, float[] bias, int n, int length) {
        return normalize(src, 0, weight, bias, n, length);
    }

    private QuantizedActivations normalize(float[] src, int srcOffset, float[] weight, float[] bias, int n,
            int length) {
        for (int c = 0; c < n; c++) {
            int at = srcOffset + c * length;
            switch (config.architecture().norm()) {
                case RMS -> kernels.rmsNorm(normed, c * length, src, at, weight, 0, length, config.normEpsilon());
                case LAYER -> kernels.layerNorm(normed, c * length, src, at, weight, bias, length,
                        config.normEpsilon());
            }
        }
        return quantized(normed, n, length);
    }

    /** RMSNorm whatever the architecture's block norm (sub-norms are always RMS) into {@link #normed}, quantized. */
    private QuantizedActivations rmsNormalize(float[] src, float[] weight, int n, int length) {
        for (int c = 0; c < n; c++) {
            kernels.rmsNorm(normed, c * length, src, c * length, weight, 0, length, config.normEpsilon());
        }
        return quantized(normed, n, length);
    }

    /** Per-head RMSNorm in place (Qwen3's and OpenELM's Q/K norms). */
    private void normalizeHeads(float[] x, int offset, int heads, float[] weight) {
        int headDim = weight.length;
        for (int h = 0; h < heads; h++) {
            kernels.rmsNorm(x, offset + h * headDim, x, offset + h * headDim, weight, 0, headDim,
                    config.normEpsilon());
        }
    }

    private QuantizedActivations quantized(float[] src, int n, int length) {
        QuantizedActivations a = activationsOf(length);
        a.quantize(src, 0, n, pool);
        return a;
    }

    /** The buffers for vectors of {@code length} values (one of a handful: a linear scan). */
    private QuantizedActivations activationsOf(int length) {
        for (QuantizedActivations a : activations) {
            if (a.length() == length) {
                return a;
            }
        }
        throw new IllegalStateException("no projection of this model takes " + length + " inputs");
    }

    /** {@code out = scale * (W x) + bias} for every column. */
    private void project(Linear linear, QuantizedActivations x, int n, float[] out) {
        product(linear.weight(), x, n, out);
        int rows = linear.outputs();
        if (linear.scale() != 1f) {
            kernels.scale(out, 0, n * rows, linear.scale());
        }
        if (linear.bias() != null) {
            for (int c = 0; c < n; c++) {
                kernels.add(out, c * rows, linear.bias(), 0, rows);
            }
        }
    }

    private void product(WeightMatrix w, QuantizedActivations x, int n, float[] out) {
        if (n == 1) {
            pool.matvec(kernels, w, x, out);
        } else {
            pool.matmul(kernels, w, x, out);
        }
    }

    /**
     * Causal attention of a batch of queries over the cache, tiled: a task takes one KV head and a block of query
     * columns, whose rows are the {@code groupSize} query heads that share the KV head times the columns. It walks
     * the cache in tiles of {@link KvCache#KEY_TILE} positions, converts each tile's keys and values to floats once,
     * and multiplies them with all of its rows at once ({@link Kernels#addProduct}), keeping a running maximum and
     * sum per row (an online softmax) so that no row's scores need to be held for the whole context.
     *
     * <p>Tasks are claimed one by one through a counter by as many lanes as the pool has threads, each lane with its
     * own scratch, so a slow thread holds nothing up. How rows are blocked depends only on the batch and the model,
     * and every row is computed by one thread, so results do not depend on the number of threads.
     */
    private final class AttentionJob implements ComputePool.RangeTask {
        /** Rows a task aims for: enough to reuse each converted tile many times, few enough to stay in L2. */
        private static final int TARGET_ROWS = 64;
        /** Tasks a batch is split into at least (when it has the columns), so that both threads have work. */
        private static final int MIN_TASKS = 8;
        private static final int TILE = KvCache.KEY_TILE;

        private final float scale = config.attentionScale();
        private final float softcap = config.attentionSoftcap();
        private final int headDimK = config.headDimK();
        private final int headDimV = config.headDimV();
        private final AttentionScratch[] lanes;
        private final AtomicInteger nextTask = new AtomicInteger();
        private int layer;
        private int heads;
        private int kvHeads;
        private int groupSize;
        private int n;
        private int position;
        private int window;
        private int columnsPerTask;
        private int tasks;

        AttentionJob() {
            int maxGroup = config.layers().stream().mapToInt(l -> l.heads() / l.kvHeads()).max().orElseThrow();
            int rows = Math.max(TARGET_ROWS, maxGroup);
            lanes = new AttentionScratch[pool.threads()];
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = new AttentionScratch(rows, headDimK, headDimV);
            }
        }

        void run(int layer, LayerShape shape, int n, int position) {
            this.layer = layer;
            this.heads = shape.heads();
            this.kvHeads = shape.kvHeads();
            this.groupSize = shape.heads() / shape.kvHeads();
            this.n = n;
            this.position = position;
            this.window = shape.slidingWindow() ? config.slidingWindow() : Integer.MAX_VALUE;
            int blocks = Math.max(Math.ceilDiv(n, Math.max(1, TARGET_ROWS / groupSize)),
                    Math.min(n, Math.ceilDiv(MIN_TASKS, kvHeads)));
            this.columnsPerTask = Math.ceilDiv(n, blocks);
            this.tasks = kvHeads * Math.ceilDiv(n, columnsPerTask);
            nextTask.set(0);
            pool.forEachChunk(lanes.length, 1, this);
        }

        @Override
        public void run(int startLane, int endLane) {
            for (int lane = startLane; lane < endLane; lane++) {
                for (int t = nextTask.getAndIncrement(); t < tasks; t = nextTask.getAndIncrement()) {
                    // The last columns see the most positions: hand them out first.
                    int block = (tasks - 1 - t) / kvHeads;
                    int first = block * columnsPerTask;
                    attend(t % kvHeads, first, Math.min(n, first + columnsPerTask), lanes[lane]);
                }
            }
        }

        /** Query columns [c0, c1) of the heads that share {@code kvHead}: row (c - c0) * groupSize + g. */
        private void attend(int kvHead, int c0, int c1, AttentionScratch scratch) {
            int rows = (c1 - c0) * groupSize;
            int qWidth = heads * headDimK;
            int outWidth = heads * headDimV;
            float[] q = scratch.queries();
            float[] out = scratch.outputs();
            float[] maxima = scratch.maxima();
            float[] sums = scratch.sums();
            for (int c = c0; c < c1; c++) {
                // The scale goes into the queries, once, rather than into every score.
                int from = c * qWidth + kvHead * groupSize * headDimK;
                int to = (c - c0) * groupSize * headDimK;
                for (int i = 0; i < groupSize * headDimK; i++) {
                    q[to + i] = scale * queries[from + i];
                }
            }
            Arrays.fill(out, 0, rows * headDimV, 0f);
            Arrays.fill(maxima, 0, rows, Float.NEGATIVE_INFINITY);
            Arrays.fill(sums, 0, rows, 0f);
            // A sliding-window layer sees the last `window` positions, its own included.
            int lo = Math.max(0, position + c0 - window + 1);
            int hi = position + c1 - 1;
            for (int tileStart = lo / TILE * TILE; tileStart <= hi; tileStart += TILE) {
                int from = Math.max(lo, tileStart);
                int count = Math.min(hi, tileStart + TILE - 1) - from + 1;
                attendTile(kvHead, c0, rows, from, count, scratch);
            }
            for (int r = 0; r < rows; r++) {
                int c = c0 + r / groupSize;
                int at = c * outWidth + (kvHead * groupSize + r % groupSize) * headDimV;
                System.arraycopy(out, r * headDimV, attended, at, headDimV);
                kernels.scale(attended, at, headDimV, 1 / sums[r]);
            }
        }

        /** Positions [from, from + count), all in one cache tile, for every row of the task. */
        private void attendTile(int kvHead, int c0, int rows, int from, int count, AttentionScratch scratch) {
            float[] k = scratch.keys();
            float[] v = scratch.values();
            float[] p = scratch.scores();
            float[] out = scratch.outputs();
            float[] maxima = scratch.maxima();
            float[] sums = scratch.sums();
            cache.keys(kernels, layer, kvHead, from, count, k, 0, count);
            Arrays.fill(p, 0, rows * count, 0f);
            kernels.addProduct(scratch.queries(), 0, headDimK, k, 0, count, p, 0, count, rows, headDimK, count);
            if (softcap > 0) {
                kernels.softcap(p, 0, rows * count, softcap);
            }
            for (int r = 0; r < rows; r++) {
                int last = position + c0 + r / groupSize;
                int seenFrom = Math.max(from, Math.max(0, last - window + 1)) - from;
                int seenTo = Math.min(count, last - from + 1);
                int row = r * count;
                if (seenFrom >= seenTo) {
                    Arrays.fill(p, row, row + count, 0f);
                    continue;
                }
                Arrays.fill(p, row, row + seenFrom, 0f);
                Arrays.fill(p, row + seenTo, row + count, 0f);
                float max = Math.max(maxima[r], kernels.max(p, row + seenFrom, seenTo - seenFrom));
                if (max > maxima[r]) {
                    // A new maximum: what was summed so far shrinks by exp(old - new) (to 0 from -infinity).
                    float shrink = (float) Math.exp(maxima[r] - max);
                    maxima[r] = max;
                    sums[r] *= shrink;
                    kernels.scale(out, r * headDimV, headDimV, shrink);
                }
                sums[r] += kernels.expSum(p, row + seenFrom, seenTo - seenFrom, max);
            }
            cache.values(kernels, layer, kvHead, from, count, v, 0);
            kernels.addProduct(p, 0, count, v, 0, headDimV, out, 0, headDimV, rows, count, headDimV);
        }
    }

    /** One lane's buffers for attention tasks of up to {@code rows} rows. */
    private record AttentionScratch(float[] queries, float[] outputs, float[] scores, float[] keys, float[] values,
            float[] maxima, float[] sums) {
        AttentionScratch(int rows, int headDimK, int headDimV) {
            this(new float[rows * headDimK], new float[rows * headDimV], new float[rows * KvCache.KEY_TILE],
                    new float[headDimK * KvCache.KEY_TILE], new float[KvCache.KEY_TILE * headDimV], new float[rows],
                    new float[rows]);
        }
    }
}
