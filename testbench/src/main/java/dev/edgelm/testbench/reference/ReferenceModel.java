package dev.edgelm.testbench.reference;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufValue;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A scalar float32 reference forward pass, written to be read rather than to be fast: every weight is dequantized
 * to a {@code float[]} up front and {@link #logits(int[])} recomputes the whole prompt from scratch (no KV cache),
 * so that EdgeLM's optimized runtime has an obviously-correct oracle to compare with.
 *
 * <p>One pass serves every architecture EdgeLM supports: llama.cpp's {@code llama}, {@code qwen2}, {@code qwen3},
 * {@code phi2}, {@code phi3}, {@code gemma}, {@code gemma2}, {@code openelm}, {@code gpt2}, {@code bitnet} and
 * Microsoft's {@code bitnet-b1.58}.
 * They differ only in the choices a {@link Config} lists (norm, FFN, RoPE layout, {@link Feature}s, per-block
 * sizes), each taken from llama.cpp's graph for that architecture ({@code src/models/<arch>.cpp}). Biases are
 * added wherever the file has them, as llama.cpp does. Every tensor of the file must be used: one the pass does
 * not know is an error rather than silently ignored.
 *
 * <p>Weights keep ggml's layout: a tensor with dims {@code [in, out]} is {@code out} rows of {@code in} values, so a
 * projection is {@code y[o] = sum_i W[o * in + i] * x[i]}. Fused tensors (phi2's and gpt2's {@code attn_qkv},
 * phi3's gate-and-up {@code ffn_up}) are split into their parts at load time, which is the same arithmetic.
 *
 * <p>{@link #load(GgufFile, Rounding)} can optionally mimic the roundings llama.cpp's CPU backend adds (see
 * {@link Rounding#LLAMA_CPP}), so that tests can compare models with llama.cpp to float32 precision.
 */
public final class ReferenceModel {

    /** Which roundings the pass adds to the float32 maths of the dequantized model. */
    public enum Rounding {
        /** None: the exact float32 maths of the dequantized model, GELU included. */
        EXACT,
        /**
         * Two of llama.cpp's CPU backend, on every platform. Before a projection with quantized weights, the input
         * vector is rounded through the 8-bit format llama.cpp converts it to for the integer dot product (its
         * {@code vec_dot_type}): Q8_0 for the 32-value formats and I2_S (Q4_1 and Q5_1 take Q8_1, whose values
         * are Q8_0's), Q8_K for the K-quants and the ternary formats. GELU is llama.cpp's table lookup
         * ({@code GGML_GELU_FP16}): input rounded to f16, result rounded to f16, up to ~1e-3 relative error.
         *
         * <p>Not mimicked: llama.cpp's x86 build also rounds the input of F16 projections to f16 (its ARM build
         * does not). Rounding to f16
         * turns the float32 summation-order noise between the two implementations into whole-ulp flips, so even
         * mimicked it only halved the F16 gap (measured), while Q8_0's coarse steps rarely flip.
         */
        LLAMA_CPP
    }

    /** How the residual stream is normalized before attention, FFN and head. */
    public enum Norm {
        /** RMSNorm: {@code x / sqrt(mean(x^2) + eps) * w}. */
        RMS,
        /** LayerNorm: {@code (x - mean) / sqrt(var(x) + eps) * w + b}. */
        LAYER
    }

    /** The feed-forward network's shape and activation. */
    public enum FeedForward {
        /** {@code down(silu(gate(h)) * up(h))}. */
        SWIGLU,
        /** {@code down(gelu(gate(h)) * up(h))}, GELU in its tanh form. */
        GEGLU,
        /** {@code down(relu(gate(h))^2 * up(h))}: BitNet b1.58 2B4T as Microsoft's fork of llama.cpp runs it. */
        SQUARED_RELU_GLU,
        /** {@code down(gelu(up(h)))}: the plain two-layer MLP, GELU in its tanh form. */
        GELU
    }

    /** How RoPE pairs up the rotated dimensions of a head (llama.cpp's {@code llama_model_rope_type}). */
    public enum Rope {
        /** No rotary embedding (gpt2 has learned positions instead). */
        NONE,
        /** llama.cpp's NORMAL layout: adjacent pairs {@code (2i, 2i + 1)}. */
        NORMAL,
        /** llama.cpp's NEOX layout: pairs {@code (i, i + ropeDims / 2)}. */
        NEOX
    }

    /** A step of the transformer block that only some architectures take. */
    public enum Feature {
        /** phi2: attention and FFN both read the one attention norm's output; {@code x += attn + ffn}. */
        PARALLEL_BLOCK,
        /** qwen3, openelm: per-head RMSNorm of Q and K before RoPE. */
        QK_NORM,
        /** gemma2: RMSNorm of the attention output and of the FFN output before each residual add. */
        POST_NORMS,
        /** bitnet: RMSNorm before the attention output projection and before the FFN down projection. */
        SUB_NORMS,
        /** gpt2: a learned position embedding added to the token embedding. */
        LEARNED_POSITIONS,
        /** gemma, gemma2: token embeddings multiplied by {@link Config#embeddingScale()}. */
        SCALED_EMBEDDING,
        /** gemma2: {@code cap * tanh(v / cap)} on attention scores and on the final logits. */
        SOFT_CAPPING,
        /** gemma2: blocks marked {@link BlockShape#slidingWindow()} attend to the last few positions only. */
        SLIDING_WINDOW
    }

    /**
     * The sizes of one transformer block, which OpenELM varies from block to block.
     *
     * @param heads         query heads
     * @param kvHeads       key/value heads; consecutive query heads share one (grouped-query attention)
     * @param ffnDim        FFN inner width
     * @param slidingWindow whether this block attends only to the last {@link Config#slidingWindow()} positions
     */
    public record BlockShape(int heads, int kvHeads, int ffnDim, boolean slidingWindow) {}

    /**
     * What the pass computes, read from the GGUF metadata ({@code <arch>.*} keys) and llama.cpp's per-architecture
     * graph.
     *
     * @param architecture     {@code general.architecture}
     * @param norm             the norm of the residual stream (Q/K, sub- and post-norms are always RMSNorm)
     * @param feedForward      the FFN
     * @param rope             the RoPE layout
     * @param features         the optional steps this architecture takes
     * @param dim              the residual stream's width, {@code n_embd}
     * @param vocab            the vocabulary size
     * @param blocks           the transformer blocks' sizes, first block first
     * @param headDimK         the query and key head dimension
     * @param headDimV         the value head dimension
     * @param ropeDims         dimensions rotated per head (0 without RoPE); the rest are left alone
     * @param ropeBase         the RoPE base frequency theta
     * @param ropeFreqScale    linear RoPE scaling: positions are multiplied by this (1 for none)
     * @param normEpsilon      the epsilon of every norm
     * @param embeddingScale   the token embedding multiplier with {@link Feature#SCALED_EMBEDDING} ({@code sqrt(dim)})
     * @param attentionScale   the attention score multiplier, {@code 1 / sqrt(headDimK)} but for one gemma2 quirk
     * @param attnSoftcap      the attention score cap with {@link Feature#SOFT_CAPPING}
     * @param finalSoftcap     the final logit cap with {@link Feature#SOFT_CAPPING}
     * @param slidingWindow    the window in positions, the current one included, with {@link Feature#SLIDING_WINDOW}
     */
    public record Config(String architecture, Norm norm, FeedForward feedForward, Rope rope, Set<Feature> features,
            int dim, int vocab, List<BlockShape> blocks, int headDimK, int headDimV, int ropeDims, float ropeBase,
            float ropeFreqScale, float normEpsilon, float embeddingScale, float attentionScale, float attnSoftcap,
            float finalSoftcap, int slidingWindow) {

        /** Copies the collections, so that a config cannot change after it is made. */
        public Config {
            features = Set.copyOf(features);
            blocks = List.copyOf(blocks);
        }

        /** Whether this architecture takes the step. */
        public boolean has(Feature feature) {
            return features.contains(feature);
        }

        /** The number of transformer blocks. */
        public int blockCount() {
            return blocks.size();
        }
    }

    /** A dequantized ggml {@code [in, out]} weight, its bias or null, and the block format it was stored in. */
    private record Linear(float[] w, float[] bias, int in, int out, BlockFormat format) {

        /** Output rows {@code [from, from + count)}: one part of a fused projection. */
        Linear rows(int from, int count) {
            float[] part = Arrays.copyOfRange(w, from * in, (from + count) * in);
            float[] partBias = bias == null ? null : Arrays.copyOfRange(bias, from, from + count);
            return new Linear(part, partBias, in, count, format);
        }
    }

    /** A norm's weight, and its bias for LayerNorm (null for RMSNorm). */
    private record NormWeights(float[] weight, float[] bias) {}

    /**
     * One transformer block's weights, dequantized. Fields of steps the architecture does not take are null:
     * {@code qNorm} and {@code kNorm} ({@link Feature#QK_NORM}), {@code attnSubNorm} and {@code ffnSubNorm}
     * ({@link Feature#SUB_NORMS}), {@code attnPostNorm} and {@code ffnPostNorm} ({@link Feature#POST_NORMS}),
     * {@code ffnNorm} ({@link Feature#PARALLEL_BLOCK}) and {@code gate} ({@link FeedForward#GELU}).
     */
    private record Block(NormWeights attnNorm, Linear wq, Linear wk, Linear wv, float[] qNorm, float[] kNorm,
            float[] attnSubNorm, Linear wo, float[] attnPostNorm, NormWeights ffnNorm, Linear gate, Linear up,
            float[] ffnSubNorm, Linear down, float[] ffnPostNorm) {}

    private final Config config;
    private final float[] tokenEmbedding;    // vocab rows of dim: row t is token t's embedding
    private final float[] positionEmbedding; // rows of dim per position with LEARNED_POSITIONS, else null
    private final Block[] blocks;
    private final NormWeights outputNorm;
    private final Linear output;             // [dim, vocab]; the embedding itself when tied
    private final float[] ropeFreqs;         // per-pair divisors of the RoPE angle (Llama 3 scaling), or null
    private final Rounding rounding;

    private ReferenceModel(Config config, float[] tokenEmbedding, float[] positionEmbedding, Block[] blocks,
            NormWeights outputNorm, Linear output, float[] ropeFreqs, Rounding rounding) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.positionEmbedding = positionEmbedding;
        this.blocks = blocks;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqs = ropeFreqs;
        this.rounding = rounding;
    }

    /**
     * Reads the hyperparameters and dequantizes every tensor of a GGUF file of one of the architectures listed in
     * the class description.
     *
     * @throws IllegalArgumentException if the architecture is not supported, the file uses RoPE scaling other than
     *     linear, or a tensor is missing, unused, of an unexpected shape, or of a type the kernels cannot dequantize
     */
    public static ReferenceModel load(GgufFile file) {
        return load(file, Rounding.EXACT);
    }

    /**
     * {@link #load(GgufFile, Rounding)} with {@link Rounding#LLAMA_CPP} when {@code q8Activations} (named for the
     * Q8_0 activation rounding it first covered) and {@link Rounding#EXACT} otherwise.
     */
    public static ReferenceModel load(GgufFile file, boolean q8Activations) {
        return load(file, q8Activations ? Rounding.LLAMA_CPP : Rounding.EXACT);
    }

    /**
     * Like {@link #load(GgufFile)}, the pass adding the given roundings.
     *
     * @throws IllegalArgumentException as {@link #load(GgufFile)}
     */
    public static ReferenceModel load(GgufFile file, Rounding rounding) {
        int vocab = (int) file.tensor("token_embd.weight").dim(1);
        Config config = readConfig(file.metadata(), vocab);
        int dim = config.dim();

        TensorReader tensors = new TensorReader(file);
        Linear tokenEmbedding = tensors.matrix("token_embd.weight", dim, vocab);
        float[] positions = config.has(Feature.LEARNED_POSITIONS) ? tensors.matrix("position_embd.weight", dim,
                file.metadata().getInt(config.architecture() + ".context_length")).w() : null;
        Block[] blocks = new Block[config.blockCount()];
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = loadBlock(tensors, config, l);
        }
        NormWeights outputNorm = tensors.norm("output_norm", config.norm(), dim);
        // No output.weight means tied embeddings: llama.cpp then uses token_embd as the head.
        Linear output = tensors.has("output.weight") ? tensors.linear("output", dim, vocab) : tokenEmbedding;
        float[] ropeFreqs = tensors.has("rope_freqs.weight")
                ? tensors.vector("rope_freqs.weight", config.ropeDims() / 2) : null;
        tensors.requireAllUsed();
        return new ReferenceModel(config, tokenEmbedding.w(), positions, blocks, outputNorm, output, ropeFreqs,
                rounding);
    }

    /** The hyperparameters of the file's architecture, from its metadata and llama.cpp's defaults. */
    private static Config readConfig(GgufMetadata md, int vocab) {
        String arch = md.getString("general.architecture");
        Graph graph = Graph.of(arch);
        String p = arch + ".";

        int dim = md.getInt(p + "embedding_length");
        int blockCount = md.getInt(p + "block_count");
        int[] heads = perBlock(md, p + "attention.head_count", blockCount, null);
        int[] kvHeads = perBlock(md, p + "attention.head_count_kv", blockCount, heads);
        int[] ffnDims = perBlock(md, p + "feed_forward_length", blockCount, null);
        // key_length/value_length are only written when the head size is not dim / heads.
        int headDimK = md.getOptionalInt(p + "attention.key_length").orElse(dim / heads[0]);
        int headDimV = md.getOptionalInt(p + "attention.value_length").orElse(dim / heads[0]);
        float eps = md.getFloat(p + (graph.norm() == Norm.RMS
                ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"));

        boolean rotary = graph.rope() != Rope.NONE;
        int ropeDims = rotary ? md.getOptionalInt(p + "rope.dimension_count").orElse(headDimK) : 0;
        float ropeBase = md.getOptionalFloat(p + "rope.freq_base").orElse(10_000f); // llama.cpp's default
        float ropeFreqScale = linearRopeScale(md, p);

        boolean softCapping = graph.features().contains(Feature.SOFT_CAPPING);
        boolean sliding = graph.features().contains(Feature.SLIDING_WINDOW);
        // gemma2's defaults in llama.cpp, for files that leave the keys out.
        float attnSoftcap = softCapping ? md.getOptionalFloat(p + "attn_logit_softcapping").orElse(50f) : 0f;
        float finalSoftcap = softCapping ? md.getOptionalFloat(p + "final_logit_softcapping").orElse(30f) : 0f;
        int window = sliding ? md.getOptionalInt(p + "attention.sliding_window").orElse(4096) : 0;
        boolean[] slidingBlocks = sliding ? slidingBlocks(md, p, blockCount) : new boolean[blockCount];

        List<BlockShape> shapes = new ArrayList<>();
        for (int l = 0; l < blockCount; l++) {
            shapes.add(new BlockShape(heads[l], kvHeads[l], ffnDims[l], slidingBlocks[l]));
        }
        // llama.cpp's gemma2 scales by 1/sqrt(n_embd / n_head) for its 46-block type (Gemma 2 27B), whatever the
        // head size, so a synthetic 46-block gemma2 gets it too.
        float attentionScale = (float) (1.0 / Math.sqrt(arch.equals("gemma2") && blockCount == 46
                ? dim / heads[0] : headDimK));
        float embeddingScale = graph.features().contains(Feature.SCALED_EMBEDDING) ? (float) Math.sqrt(dim) : 1f;

        return new Config(arch, graph.norm(), graph.feedForward(), graph.rope(), graph.features(), dim, vocab,
                shapes, headDimK, headDimV, ropeDims, ropeBase, ropeFreqScale, eps, embeddingScale, attentionScale,
                attnSoftcap, finalSoftcap, window);
    }

    /** The weights of block {@code l}, fused tensors split, as {@link Block} describes them. */
    private static Block loadBlock(TensorReader tensors, Config c, int l) {
        String b = "blk." + l + ".";
        BlockShape s = c.blocks().get(l);
        int dim = c.dim();
        int qWidth = s.heads() * c.headDimK();
        int kWidth = s.kvHeads() * c.headDimK();
        int vWidth = s.kvHeads() * c.headDimV();
        int ff = s.ffnDim();

        Linear wq;
        Linear wk;
        Linear wv;
        if (tensors.has(b + "attn_qkv.weight")) {
            // Q's rows, then K's, then V's, as llama.cpp's build_qkv views them.
            Linear qkv = tensors.linear(b + "attn_qkv", dim, qWidth + kWidth + vWidth);
            wq = qkv.rows(0, qWidth);
            wk = qkv.rows(qWidth, kWidth);
            wv = qkv.rows(qWidth + kWidth, vWidth);
        } else {
            wq = tensors.linear(b + "attn_q", dim, qWidth);
            wk = tensors.linear(b + "attn_k", dim, kWidth);
            wv = tensors.linear(b + "attn_v", dim, vWidth);
        }
        boolean qkNorm = c.has(Feature.QK_NORM);
        boolean subNorms = c.has(Feature.SUB_NORMS);
        boolean postNorms = c.has(Feature.POST_NORMS);

        Linear gate = null;
        Linear up;
        if (c.feedForward() == FeedForward.GELU) {
            up = tensors.linear(b + "ffn_up", dim, ff);
        } else if (tensors.has(b + "ffn_gate.weight")) {
            gate = tensors.linear(b + "ffn_gate", dim, ff);
            up = tensors.linear(b + "ffn_up", dim, ff);
        } else {
            // phi3: one ffn_up of 2 * ff rows, the gate's first (llama.cpp's ggml_swiglu activates the first half).
            Linear gateUp = tensors.linear(b + "ffn_up", dim, 2 * ff);
            gate = gateUp.rows(0, ff);
            up = gateUp.rows(ff, ff);
        }
        return new Block(
                tensors.norm(b + "attn_norm", c.norm(), dim),
                wq, wk, wv,
                qkNorm ? tensors.vector(b + "attn_q_norm.weight", c.headDimK()) : null,
                qkNorm ? tensors.vector(b + "attn_k_norm.weight", c.headDimK()) : null,
                subNorms ? tensors.vector(b + "attn_sub_norm.weight", s.heads() * c.headDimV()) : null,
                tensors.linear(b + "attn_output", s.heads() * c.headDimV(), dim),
                postNorms ? tensors.vector(b + "post_attention_norm.weight", dim) : null,
                c.has(Feature.PARALLEL_BLOCK) ? null : tensors.norm(b + "ffn_norm", c.norm(), dim),
                gate, up,
                subNorms ? tensors.vector(b + "ffn_sub_norm.weight", ff) : null,
                tensors.linear(b + "ffn_down", ff, dim),
                postNorms ? tensors.vector(b + "post_ffw_norm.weight", dim) : null);
    }

    /** The hyperparameters in use. */
    public Config config() {
        return config;
    }

    /**
     * Runs the whole prompt through the model and returns the {@code vocab} logits that predict the token after the
     * last one. No state is kept between calls.
     *
     * @throws IllegalArgumentException if {@code tokens} is empty, holds an id outside the vocabulary, or (with
     *     learned positions) is longer than the position table
     */
    public float[] logits(int[] tokens) {
        float[][] x = finalResidualStreams(tokens);
        return head(x[x.length - 1]);
    }

    /**
     * Like {@link #logits(int[])} for every position at once: row {@code i} holds the logits that predict the token
     * after {@code tokens[i]}, given {@code tokens[0..i]} (e.g. for perplexity).
     *
     * @throws IllegalArgumentException as {@link #logits(int[])}
     */
    public float[][] logitsAtEveryPosition(int[] tokens) {
        float[][] x = finalResidualStreams(tokens);
        float[][] logits = new float[x.length][];
        for (int pos = 0; pos < x.length; pos++) {
            logits[pos] = head(x[pos]);
        }
        return logits;
    }

    /** The residual stream of every position after the last block. */
    private float[][] finalResidualStreams(int[] tokens) {
        Config c = config;
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("at least one token is needed");
        }
        if (positionEmbedding != null && n * c.dim() > positionEmbedding.length) {
            throw new IllegalArgumentException(n + " tokens exceed the " + positionEmbedding.length / c.dim()
                    + " learned positions");
        }
        // x[pos]: the residual stream of every position, since attention looks back at all earlier positions.
        float[][] x = new float[n][];
        for (int pos = 0; pos < n; pos++) {
            int t = tokens[pos];
            if (t < 0 || t >= c.vocab()) {
                throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + c.vocab());
            }
            // A row lookup: llama.cpp's get_rows dequantizes, with no activation rounding.
            x[pos] = Arrays.copyOfRange(tokenEmbedding, t * c.dim(), (t + 1) * c.dim());
            if (c.has(Feature.SCALED_EMBEDDING)) {
                scaleInPlace(x[pos], c.embeddingScale());
            }
            if (c.has(Feature.LEARNED_POSITIONS)) {
                addInPlace(x[pos], Arrays.copyOfRange(positionEmbedding, pos * c.dim(), (pos + 1) * c.dim()));
            }
        }
        for (int l = 0; l < blocks.length; l++) {
            block(blocks[l], c.blocks().get(l), x);
        }
        return x;
    }

    /** One transformer block over every position, updating the residual streams {@code x} in place. */
    private void block(Block w, BlockShape shape, float[][] x) {
        int n = x.length;
        float[][] h = new float[n][];
        for (int pos = 0; pos < n; pos++) {
            h[pos] = norm(x[pos], w.attnNorm());
        }
        // Attention needs every position's keys and values, so it runs over all positions before any update.
        float[][] attn = attention(w, shape, h);
        for (int pos = 0; pos < n; pos++) {
            if (config.has(Feature.PARALLEL_BLOCK)) {
                // phi2: x + (attn + ffn), the FFN reading the same normed input as attention.
                float[] both = feedForward(w, h[pos]);
                addInPlace(both, attn[pos]);
                addInPlace(x[pos], both);
            } else {
                addInPlace(x[pos], postNorm(attn[pos], w.attnPostNorm()));
                float[] ffn = feedForward(w, norm(x[pos], w.ffnNorm()));
                addInPlace(x[pos], postNorm(ffn, w.ffnPostNorm()));
            }
        }
    }

    /** Causal self-attention over the normed inputs {@code h} of every position, output projection included. */
    private float[][] attention(Block w, BlockShape shape, float[][] h) {
        Config c = config;
        int n = h.length;
        int hdK = c.headDimK();
        int hdV = c.headDimV();
        float[][] q = new float[n][];
        float[][] k = new float[n][];
        float[][] v = new float[n][];
        for (int pos = 0; pos < n; pos++) {
            q[pos] = linear(w.wq(), h[pos]);
            k[pos] = linear(w.wk(), h[pos]);
            v[pos] = linear(w.wv(), h[pos]);
            for (int head = 0; head < shape.heads(); head++) {
                if (c.has(Feature.QK_NORM)) {
                    rmsNormInPlace(q[pos], head * hdK, hdK, w.qNorm());
                }
                rope(q[pos], head * hdK, pos);
            }
            for (int head = 0; head < shape.kvHeads(); head++) {
                if (c.has(Feature.QK_NORM)) {
                    rmsNormInPlace(k[pos], head * hdK, hdK, w.kNorm());
                }
                rope(k[pos], head * hdK, pos);
            }
        }

        int groupSize = shape.heads() / shape.kvHeads(); // GQA: consecutive query heads share one KV head
        float[][] out = new float[n][];
        for (int pos = 0; pos < n; pos++) {
            // Causal: positions 0..pos, or with a sliding window only the last slidingWindow of them.
            int first = shape.slidingWindow() ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
            float[] attended = new float[shape.heads() * hdV];
            for (int head = 0; head < shape.heads(); head++) {
                int kvHead = head / groupSize;
                float[] scores = new float[pos + 1 - first];
                float max = Float.NEGATIVE_INFINITY;
                for (int s = first; s <= pos; s++) {
                    float score = c.attentionScale() * dot(q[pos], head * hdK, k[s], kvHead * hdK, hdK);
                    if (c.has(Feature.SOFT_CAPPING)) {
                        score = softcap(score, c.attnSoftcap());
                    }
                    scores[s - first] = score;
                    max = Math.max(max, score);
                }
                // A max-subtracted softmax, then the weighted sum of the values.
                double sum = 0;
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = (float) Math.exp(scores[i] - max);
                    sum += scores[i];
                }
                for (int d = 0; d < hdV; d++) {
                    double acc = 0;
                    for (int s = first; s <= pos; s++) {
                        acc += scores[s - first] * v[s][kvHead * hdV + d];
                    }
                    attended[head * hdV + d] = (float) (acc / sum);
                }
            }
            if (c.has(Feature.SUB_NORMS)) {
                attended = rmsNorm(attended, w.attnSubNorm());
            }
            out[pos] = linear(w.wo(), attended);
        }
        return out;
    }

    /** The FFN of one position's normed input {@code h}, down projection included. */
    private float[] feedForward(Block w, float[] h) {
        FloatFunction gelu = rounding == Rounding.LLAMA_CPP ? ReferenceModel::geluF16Table : ReferenceModel::gelu;
        float[] up = linear(w.up(), h);
        float[] act = switch (config.feedForward()) {
            case SWIGLU -> gated(linear(w.gate(), h), ReferenceModel::silu, up);
            case GEGLU -> gated(linear(w.gate(), h), gelu, up);
            case SQUARED_RELU_GLU -> gated(linear(w.gate(), h), ReferenceModel::squaredRelu, up);
            case GELU -> map(up, gelu);
        };
        if (config.has(Feature.SUB_NORMS)) {
            act = rmsNorm(act, w.ffnSubNorm());
        }
        return linear(w.down(), act);
    }

    /** The final norm, the head and, with soft-capping, the final cap: one position's logits. */
    private float[] head(float[] x) {
        float[] logits = linear(output, norm(x, outputNorm));
        if (config.has(Feature.SOFT_CAPPING)) {
            logits = map(logits, v -> softcap(v, config.finalSoftcap()));
        }
        return logits;
    }

    /**
     * Rotates {@code ropeDims} values of one head starting at {@code offset}: pair {@code i} (adjacent values in the
     * NORMAL layout, values {@code ropeDims / 2} apart in NEOX) turns by
     * {@code ropeFreqScale * pos * base^(-2i / ropeDims)}, divided by {@code rope_freqs[i]} when the file has it.
     * Values past {@code ropeDims} are left alone (partial rotary).
     */
    private void rope(float[] vec, int offset, int pos) {
        int dims = config.ropeDims(); // 0 without RoPE: nothing turns
        for (int i = 0; i < dims / 2; i++) {
            double theta = config.ropeFreqScale() * pos * Math.pow(config.ropeBase(), -2.0 * i / dims);
            if (ropeFreqs != null) {
                theta /= ropeFreqs[i];
            }
            float cos = (float) Math.cos(theta);
            float sin = (float) Math.sin(theta);
            int first = offset + (config.rope() == Rope.NEOX ? i : 2 * i);
            int second = config.rope() == Rope.NEOX ? first + dims / 2 : first + 1;
            float a = vec[first];
            float b = vec[second];
            vec[first] = a * cos - b * sin;
            vec[second] = a * sin + b * cos;
        }
    }

    /** The residual-stream norm the architecture uses. */
    private float[] norm(float[] x, NormWeights w) {
        return config.norm() == Norm.RMS ? rmsNorm(x, w.weight()) : layerNorm(x, w.weight(), w.bias());
    }

    /** gemma2's extra norm before a residual add, or {@code v} itself without {@link Feature#POST_NORMS}. */
    private float[] postNorm(float[] v, float[] weight) {
        return config.has(Feature.POST_NORMS) ? rmsNorm(v, weight) : v;
    }

    /** RMSNorm: {@code x / sqrt(mean(x^2) + eps) * weight}. */
    private float[] rmsNorm(float[] x, float[] weight) {
        float[] out = x.clone();
        rmsNormInPlace(out, 0, out.length, weight);
        return out;
    }

    /** RMSNorm of {@code x[offset, offset + length)} in place: one head, for Q/K norms. */
    private void rmsNormInPlace(float[] x, int offset, int length, float[] weight) {
        double ss = 0;
        for (int i = 0; i < length; i++) {
            ss += (double) x[offset + i] * x[offset + i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / length + config.normEpsilon()));
        for (int i = 0; i < length; i++) {
            x[offset + i] = x[offset + i] * inv * weight[i];
        }
    }

    /** LayerNorm: {@code (x - mean) / sqrt(mean((x - mean)^2) + eps) * weight + bias}. */
    private float[] layerNorm(float[] x, float[] weight, float[] bias) {
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        float mean = (float) (sum / x.length);
        float[] centered = new float[x.length];
        double ss = 0;
        for (int i = 0; i < x.length; i++) {
            centered[i] = x[i] - mean;
            ss += (double) centered[i] * centered[i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / x.length + config.normEpsilon()));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = centered[i] * inv * weight[i] + bias[i];
        }
        return out;
    }

    /** {@code y[o] = sum_i w[o * in + i] * x[i] + bias[o]} for a ggml {@code [in, out]} weight. */
    private float[] linear(Linear m, float[] x) {
        if (rounding == Rounding.LLAMA_CPP) {
            x = roundThroughActivationFormat(m.format(), x);
        }
        float[] y = new float[m.out()];
        for (int o = 0; o < m.out(); o++) {
            y[o] = dot(m.w(), o * m.in(), x, 0, m.in());
        }
        if (m.bias() != null) {
            addInPlace(y, m.bias());
        }
        return y;
    }

    /**
     * Quantizes {@code x} to the activation format llama.cpp pairs with {@code weights} and back: the activation
     * error its integer matmul introduces. Float weights leave {@code x} alone.
     */
    private static float[] roundThroughActivationFormat(BlockFormat weights, float[] x) {
        BlockFormat activations = switch (weights) {
            case F32, F16, BF16 -> null;
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, I2_S -> BlockFormat.Q8_0;
            case Q4_K, Q5_K, Q6_K, Q8_K, TQ1_0, TQ2_0 -> BlockFormat.Q8_K;
        };
        if (activations == null) {
            return x;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blocks = arena.allocate(Quantization.tensorBytes(activations, 1, x.length));
            Quantization.quantize(activations, x, x.length, blocks);
            return Quantization.dequantize(activations, blocks, 1, x.length);
        }
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        double acc = 0;
        for (int i = 0; i < len; i++) {
            acc += (double) a[aOff + i] * b[bOff + i];
        }
        return (float) acc;
    }

    private static void addInPlace(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }

    private static void scaleInPlace(float[] x, float factor) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= factor;
        }
    }

    /** A function of one float, for activations. */
    private interface FloatFunction {
        float apply(float v);
    }

    /** {@code activation(gate[i]) * up[i]}: the gated FFN's activation. */
    private static float[] gated(float[] gate, FloatFunction activation, float[] up) {
        float[] out = map(gate, activation);
        for (int i = 0; i < out.length; i++) {
            out[i] *= up[i];
        }
        return out;
    }

    private static float[] map(float[] x, FloatFunction f) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = f.apply(x[i]);
        }
        return out;
    }

    private static float squaredRelu(float v) {
        float r = Math.max(v, 0f);
        return r * r;
    }

    private static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    /** GELU's tanh form, which every GELU architecture here uses: {@code 0.5 v (1 + tanh(sqrt(2/pi) (v + c v^3)))}. */
    private static float gelu(float v) {
        double c = 0.044715;
        return (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + c * v * v * v))));
    }

    /**
     * llama.cpp's CPU GELU: a table of ggml's {@code ggml_gelu_f32} at every f16 input, in float arithmetic (a
     * double evaluation rounds ~270 of the 37k entries the other way), rounded to f16; outside {@code (-10, 10)},
     * 0 or the input itself.
     */
    private static float geluF16Table(float v) {
        if (v <= -10f) {
            return 0f;
        }
        if (v >= 10f) {
            return v;
        }
        float x = Float.float16ToFloat(Float.floatToFloat16(v));
        float gelu = 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654f * x * (1f + 0.044715f * x * x)));
        return Float.float16ToFloat(Float.floatToFloat16(gelu));
    }

    private static float softcap(float v, float cap) {
        return (float) (cap * Math.tanh(v / cap));
    }

    /**
     * A per-block number: an array of one value per block (OpenELM) or one value for all, defaulting to
     * {@code fallback} when the key is missing.
     */
    private static int[] perBlock(GgufMetadata md, String key, int blockCount, int[] fallback) {
        Optional<GgufValue> value = md.find(key);
        if (value.isEmpty() && fallback != null) {
            return fallback;
        }
        if (value.orElseThrow(() -> new IllegalArgumentException("missing metadata key " + key))
                instanceof GgufNumericArray array) {
            if (array.size() != blockCount) {
                throw new IllegalArgumentException(key + " has " + array.size() + " values for " + blockCount
                        + " blocks");
            }
            return array.toIntArray();
        }
        int[] values = new int[blockCount];
        Arrays.fill(values, md.getInt(key));
        return values;
    }

    /** llama.cpp's {@code rope_freq_scale}: {@code 1 / rope.scaling.factor}, for no or linear scaling only. */
    private static float linearRopeScale(GgufMetadata md, String p) {
        String type = md.getOptionalString(p + "rope.scaling.type").orElse("linear");
        if (!type.equals("linear") && !type.equals("none")) {
            throw new IllegalArgumentException("RoPE scaling '" + type + "' is not supported");
        }
        float factor = md.getOptionalFloat(p + "rope.scaling.factor").orElse(0f);
        return factor == 0f ? 1f : 1f / factor;
    }

    /**
     * Which blocks use the sliding window: {@code attention.sliding_window_pattern} as one flag per block, or as a
     * period {@code n} (llama.cpp's {@code set_swa_pattern}: every {@code n}-th block is global, the others slide;
     * gemma2's default is 2, i.e. even blocks slide).
     */
    private static boolean[] slidingBlocks(GgufMetadata md, String p, int blockCount) {
        String key = p + "attention.sliding_window_pattern";
        boolean[] sliding = new boolean[blockCount];
        if (md.find(key).orElse(null) instanceof GgufNumericArray flags) {
            for (int l = 0; l < blockCount; l++) {
                sliding[l] = flags.getBoolean(l);
            }
            return sliding;
        }
        int period = md.getOptionalInt(key).orElse(2);
        for (int l = 0; l < blockCount; l++) {
            sliding[l] = period == 0 || l % period < period - 1;
        }
        return sliding;
    }

    /** The per-architecture choices, as llama.cpp's graph for each architecture makes them. */
    private record Graph(Norm norm, FeedForward feedForward, Rope rope, Set<Feature> features) {

        static Graph of(String arch) {
            return switch (arch) {
                case "llama" -> new Graph(Norm.RMS, FeedForward.SWIGLU, Rope.NORMAL, Set.of());
                case "qwen2", "phi3" -> new Graph(Norm.RMS, FeedForward.SWIGLU, Rope.NEOX, Set.of());
                case "qwen3", "openelm" -> new Graph(Norm.RMS, FeedForward.SWIGLU, Rope.NEOX,
                        Set.of(Feature.QK_NORM));
                // llama.cpp's bitnet graph gates with SiLU, whatever the model was trained with.
                case "bitnet" -> new Graph(Norm.RMS, FeedForward.SWIGLU, Rope.NEOX, Set.of(Feature.SUB_NORMS));
                // Microsoft's converter names BitNet b1.58 2B4T so, and its fork runs the squared-ReLU FFN the model
                // was trained with (mainline llama.cpp does not load the name).
                case "bitnet-b1.58" -> new Graph(Norm.RMS, FeedForward.SQUARED_RELU_GLU, Rope.NEOX,
                        Set.of(Feature.SUB_NORMS));
                case "gemma" -> new Graph(Norm.RMS, FeedForward.GEGLU, Rope.NEOX, Set.of(Feature.SCALED_EMBEDDING));
                case "gemma2" -> new Graph(Norm.RMS, FeedForward.GEGLU, Rope.NEOX, Set.of(Feature.SCALED_EMBEDDING,
                        Feature.POST_NORMS, Feature.SOFT_CAPPING, Feature.SLIDING_WINDOW));
                case "phi2" -> new Graph(Norm.LAYER, FeedForward.GELU, Rope.NEOX, Set.of(Feature.PARALLEL_BLOCK));
                case "gpt2" -> new Graph(Norm.LAYER, FeedForward.GELU, Rope.NONE,
                        Set.of(Feature.LEARNED_POSITIONS));
                default -> throw new IllegalArgumentException("the reference forward pass does not support " + arch);
            };
        }
    }

    /** Dequantizes a file's tensors by name, checking shapes, and remembers which were read. */
    private static final class TensorReader {

        private final GgufFile file;
        private final Set<String> used = new HashSet<>();

        TensorReader(GgufFile file) {
            this.file = file;
        }

        boolean has(String name) {
            return file.findTensor(name).isPresent();
        }

        /** A 1-D tensor of {@code length} values. */
        float[] vector(String name, int length) {
            GgufTensor t = take(name);
            if (t.rank() != 1 || t.dim(0) != length) {
                throw new IllegalArgumentException(name + ": expected [" + length + "], got " + t);
            }
            return dequantize(t, 1, length);
        }

        /** {@code base.weight}, a ggml {@code [in, out]} tensor, and {@code base.bias} if the file has one. */
        Linear linear(String base, int in, int out) {
            Linear weight = matrix(base + ".weight", in, out);
            float[] bias = has(base + ".bias") ? vector(base + ".bias", out) : null;
            return new Linear(weight.w(), bias, in, out, weight.format());
        }

        /** A ggml {@code [in, out]} tensor: {@code out} rows of {@code in} values. */
        Linear matrix(String name, int in, int out) {
            GgufTensor t = take(name);
            if (t.rank() != 2 || t.dim(0) != in || t.dim(1) != out) {
                throw new IllegalArgumentException(name + ": expected [" + in + ", " + out + "], got " + t);
            }
            return new Linear(dequantize(t, out, in), null, in, out, t.type().blockFormat().orElseThrow());
        }

        /** {@code base.weight}, and {@code base.bias} for LayerNorm. */
        NormWeights norm(String base, Norm kind, int length) {
            return new NormWeights(vector(base + ".weight", length),
                    kind == Norm.LAYER ? vector(base + ".bias", length) : null);
        }

        /** Fails on any tensor not read: a step the pass does not know would otherwise be silently skipped. */
        void requireAllUsed() {
            List<String> unused = file.tensors().stream().map(GgufTensor::name).filter(n -> !used.contains(n))
                    .toList();
            if (!unused.isEmpty()) {
                throw new IllegalArgumentException("tensors the reference pass does not use: " + unused);
            }
        }

        private GgufTensor take(String name) {
            used.add(name);
            return file.tensor(name);
        }

        private static float[] dequantize(GgufTensor t, long rows, long rowLength) {
            BlockFormat format = t.type().blockFormat().orElseThrow(() -> new IllegalArgumentException(
                    t.name() + ": type " + t.type() + " cannot be dequantized"));
            return Quantization.dequantize(format, t.data(), rows, rowLength);
        }
    }
}
