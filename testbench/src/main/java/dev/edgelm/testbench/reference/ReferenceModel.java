package dev.edgelm.testbench.reference;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A scalar float32 reference forward pass, written to be read rather than to be fast: every weight is dequantized
 * to a {@code float[]} up front and {@link #logits(int[])} recomputes the whole prompt from scratch (no KV cache),
 * so that EdgeLM's optimized runtime has an obviously-correct oracle to compare with.
 *
 * <p>Only llama.cpp's {@code llama} architecture for now: RMSNorm, separate Q/K/V projections, RoPE in llama.cpp's
 * NORMAL layout (adjacent pairs), grouped-query attention, SwiGLU FFN, no biases.
 *
 * <p>Weights keep ggml's layout: a tensor with dims {@code [in, out]} is {@code out} rows of {@code in} values, so a
 * projection is {@code y[o] = sum_i W[o * in + i] * x[i]}.
 *
 * <p>{@link #load(GgufFile, boolean)} can optionally mimic the one rounding step llama.cpp's CPU backend adds for
 * Q8_0 weights (it quantizes the activation vector to Q8_0 before the integer dot product), so that tests can
 * compare Q8_0 models with llama.cpp as tightly as F32 ones.
 */
public final class ReferenceModel {

    /** Hyperparameters read from the GGUF metadata ({@code llama.*} keys). */
    public record Config(int dim, int blocks, int heads, int kvHeads, int headDimK, int headDimV, int ffnDim,
            int vocab, int ropeDims, float ropeBase, float rmsEpsilon) {}

    /** A dequantized ggml {@code [in, out]} weight and the block format it was stored in. */
    private record Matrix(float[] w, int in, int out, BlockFormat format) {}

    /** One transformer block's weights, dequantized. */
    private record Block(float[] attnNorm, Matrix wq, Matrix wk, Matrix wv, Matrix wo,
            float[] ffnNorm, Matrix wGate, Matrix wUp, Matrix wDown) {}

    private final Config config;
    private final Matrix tokenEmbedding; // [dim, vocab]: row t is token t's embedding
    private final Block[] blocks;
    private final float[] outputNorm;
    private final Matrix output;         // [dim, vocab]; the embedding itself when tied
    private final float[] ropeFreqs;     // per-pair divisors of the RoPE angle (Llama 3 scaling), or null
    private final boolean q8Activations;

    private ReferenceModel(Config config, Matrix tokenEmbedding, Block[] blocks, float[] outputNorm, Matrix output,
            float[] ropeFreqs, boolean q8Activations) {
        this.config = config;
        this.q8Activations = q8Activations;
        this.tokenEmbedding = tokenEmbedding;
        this.blocks = blocks;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqs = ropeFreqs;
    }

    /**
     * Reads the hyperparameters and dequantizes every tensor of a {@code llama} GGUF file.
     *
     * @throws IllegalArgumentException if the architecture is not {@code llama}, or a tensor has an unexpected shape
     *     or a type the kernels cannot dequantize
     */
    public static ReferenceModel load(GgufFile file) {
        return load(file, false);
    }

    /**
     * Like {@link #load(GgufFile)}; with {@code q8Activations}, the input of every projection whose weight is stored
     * as Q8_0 is first rounded through Q8_0 (quantized and dequantized), as llama.cpp's CPU matmul does. Off, the
     * pass is the exact float32 maths of the dequantized model.
     */
    public static ReferenceModel load(GgufFile file, boolean q8Activations) {
        GgufMetadata md = file.metadata();
        String arch = md.getString("general.architecture");
        if (!arch.equals("llama")) {
            throw new IllegalArgumentException("the reference forward pass supports only llama, not " + arch);
        }
        String p = arch + ".";
        int dim = md.getInt(p + "embedding_length");
        int blockCount = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getOptionalInt(p + "attention.head_count_kv").orElse(heads);
        // key_length/value_length are only written when the head size is not dim / heads.
        int headDimK = md.getOptionalInt(p + "attention.key_length").orElse(dim / heads);
        int headDimV = md.getOptionalInt(p + "attention.value_length").orElse(headDimK);
        int ropeDims = md.getOptionalInt(p + "rope.dimension_count").orElse(headDimK);
        float ropeBase = md.getOptionalFloat(p + "rope.freq_base").orElse(10_000f); // llama.cpp's default
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon");

        GgufTensor embd = file.tensor("token_embd.weight");
        int vocab = (int) embd.dim(1);
        Matrix tokenEmbedding = matrix(embd, dim, vocab);

        int ffnDim = (int) file.tensor("blk.0.ffn_gate.weight").dim(1);
        Config config = new Config(dim, blockCount, heads, kvHeads, headDimK, headDimV, ffnDim, vocab, ropeDims,
                ropeBase, eps);

        Block[] blocks = new Block[blockCount];
        for (int l = 0; l < blockCount; l++) {
            String b = "blk." + l + ".";
            blocks[l] = new Block(
                    vector(file.tensor(b + "attn_norm.weight"), dim),
                    matrix(file.tensor(b + "attn_q.weight"), dim, heads * headDimK),
                    matrix(file.tensor(b + "attn_k.weight"), dim, kvHeads * headDimK),
                    matrix(file.tensor(b + "attn_v.weight"), dim, kvHeads * headDimV),
                    matrix(file.tensor(b + "attn_output.weight"), heads * headDimV, dim),
                    vector(file.tensor(b + "ffn_norm.weight"), dim),
                    matrix(file.tensor(b + "ffn_gate.weight"), dim, ffnDim),
                    matrix(file.tensor(b + "ffn_up.weight"), dim, ffnDim),
                    matrix(file.tensor(b + "ffn_down.weight"), ffnDim, dim));
        }
        float[] outputNorm = vector(file.tensor("output_norm.weight"), dim);
        // No output.weight means tied embeddings: llama.cpp then uses token_embd as the head.
        Optional<GgufTensor> head = file.findTensor("output.weight");
        Matrix output = head.isPresent() ? matrix(head.get(), dim, vocab) : tokenEmbedding;
        float[] ropeFreqs = file.findTensor("rope_freqs.weight").map(t -> vector(t, ropeDims / 2)).orElse(null);
        return new ReferenceModel(config, tokenEmbedding, blocks, outputNorm, output, ropeFreqs, q8Activations);
    }

    /** The hyperparameters in use. */
    public Config config() {
        return config;
    }

    /**
     * Runs the whole prompt through the model and returns the {@code vocab} logits that predict the token after the
     * last one. No state is kept between calls.
     *
     * @throws IllegalArgumentException if {@code tokens} is empty or holds an id outside the vocabulary
     */
    public float[] logits(int[] tokens) {
        Config c = config;
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("at least one token is needed");
        }
        // x[pos]: the residual stream of every position, since attention looks back at all earlier positions.
        float[][] x = new float[n][];
        for (int pos = 0; pos < n; pos++) {
            int t = tokens[pos];
            if (t < 0 || t >= c.vocab()) {
                throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + c.vocab());
            }
            x[pos] = new float[c.dim()];
            // A row lookup: llama.cpp's get_rows dequantizes, with no activation rounding.
            System.arraycopy(tokenEmbedding.w(), t * c.dim(), x[pos], 0, c.dim());
        }

        int groupSize = c.heads() / c.kvHeads(); // GQA: consecutive query heads share one KV head
        float scale = (float) (1.0 / Math.sqrt(c.headDimK()));

        for (Block w : blocks) {
            // Attention: project every position first, then attend causally.
            float[][] q = new float[n][];
            float[][] k = new float[n][];
            float[][] v = new float[n][];
            for (int pos = 0; pos < n; pos++) {
                float[] h = rmsNorm(x[pos], w.attnNorm(), c.rmsEpsilon());
                q[pos] = matVec(w.wq(), h);
                k[pos] = matVec(w.wk(), h);
                v[pos] = matVec(w.wv(), h);
                for (int head = 0; head < c.heads(); head++) {
                    rope(q[pos], head * c.headDimK(), pos);
                }
                for (int head = 0; head < c.kvHeads(); head++) {
                    rope(k[pos], head * c.headDimK(), pos);
                }
            }
            for (int pos = 0; pos < n; pos++) {
                float[] attended = new float[c.heads() * c.headDimV()];
                for (int head = 0; head < c.heads(); head++) {
                    int kvHead = head / groupSize;
                    // Scores against positions 0..pos only (causal mask), then a max-subtracted softmax.
                    float[] scores = new float[pos + 1];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= pos; s++) {
                        scores[s] = scale * dot(q[pos], head * c.headDimK(), k[s], kvHead * c.headDimK(),
                                c.headDimK());
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= pos; s++) {
                        scores[s] = (float) Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int d = 0; d < c.headDimV(); d++) {
                        double acc = 0;
                        for (int s = 0; s <= pos; s++) {
                            acc += scores[s] * v[s][kvHead * c.headDimV() + d];
                        }
                        attended[head * c.headDimV() + d] = (float) (acc / sum);
                    }
                }
                float[] out = matVec(w.wo(), attended);
                addInPlace(x[pos], out);
            }
            // FFN: SwiGLU, down(silu(gate(h)) * up(h)), per position.
            for (int pos = 0; pos < n; pos++) {
                float[] h = rmsNorm(x[pos], w.ffnNorm(), c.rmsEpsilon());
                float[] gate = matVec(w.wGate(), h);
                float[] up = matVec(w.wUp(), h);
                for (int i = 0; i < c.ffnDim(); i++) {
                    gate[i] = silu(gate[i]) * up[i];
                }
                addInPlace(x[pos], matVec(w.wDown(), gate));
            }
        }
        // Only the last position's logits are asked for.
        float[] last = rmsNorm(x[n - 1], outputNorm, c.rmsEpsilon());
        return matVec(output, last);
    }

    /**
     * Rotates {@code ropeDims} values of one head starting at {@code offset}, llama.cpp's NORMAL layout: adjacent
     * pairs {@code (2i, 2i+1)} turn by {@code pos * base^(-2i / ropeDims)}, divided by {@code rope_freqs[i]} when the
     * file has it. Values past {@code ropeDims} are left alone (partial rotary).
     */
    private void rope(float[] vec, int offset, int pos) {
        int dims = config.ropeDims();
        for (int i = 0; i < dims / 2; i++) {
            double theta = pos * Math.pow(config.ropeBase(), -2.0 * i / dims);
            if (ropeFreqs != null) {
                theta /= ropeFreqs[i];
            }
            float cos = (float) Math.cos(theta);
            float sin = (float) Math.sin(theta);
            float a = vec[offset + 2 * i];
            float b = vec[offset + 2 * i + 1];
            vec[offset + 2 * i] = a * cos - b * sin;
            vec[offset + 2 * i + 1] = a * sin + b * cos;
        }
    }

    /** RMSNorm: {@code x / sqrt(mean(x^2) + eps) * weight}. */
    static float[] rmsNorm(float[] x, float[] weight, float eps) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / x.length + eps));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight[i];
        }
        return out;
    }

    /** {@code y[o] = sum_i w[o * in + i] * x[i]} for a ggml {@code [in, out]} weight. */
    private float[] matVec(Matrix m, float[] x) {
        if (q8Activations && m.format() == BlockFormat.Q8_0) {
            x = roundThroughQ8(x);
        }
        return matVec(m.w(), x, m.in(), m.out());
    }

    /** {@code y[o] = sum_i w[o * in + i] * x[i]} for a ggml {@code [in, out]} weight. */
    static float[] matVec(float[] w, float[] x, int in, int out) {
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double acc = 0;
            int row = o * in;
            for (int i = 0; i < in; i++) {
                acc += (double) w[row + i] * x[i];
            }
            y[o] = (float) acc;
        }
        return y;
    }

    /** Quantizes {@code x} to Q8_0 blocks and back: the activation error llama.cpp's Q8_0 matmul introduces. */
    private static float[] roundThroughQ8(float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment blocks = arena.allocate(Quantization.tensorBytes(BlockFormat.Q8_0, 1, x.length));
            Quantization.quantize(BlockFormat.Q8_0, x, x.length, blocks);
            return Quantization.dequantize(BlockFormat.Q8_0, blocks, 1, x.length);
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

    private static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    /** Dequantizes a 1-D tensor of {@code length} values. */
    private static float[] vector(GgufTensor t, int length) {
        if (t.rank() != 1 || t.dim(0) != length) {
            throw new IllegalArgumentException(t.name() + ": expected [" + length + "], got " + t);
        }
        return dequantize(t, 1, length);
    }

    /** Dequantizes a ggml {@code [in, out]} tensor: {@code out} rows of {@code in} values. */
    private static Matrix matrix(GgufTensor t, int in, int out) {
        if (t.rank() != 2 || t.dim(0) != in || t.dim(1) != out) {
            throw new IllegalArgumentException(t.name() + ": expected [" + in + ", " + out + "], got " + t);
        }
        return new Matrix(dequantize(t, out, in), in, out, t.type().blockFormat().orElseThrow());
    }

    private static float[] dequantize(GgufTensor t, long rows, long rowLength) {
        BlockFormat format = t.type().blockFormat().orElseThrow(() -> new IllegalArgumentException(
                t.name() + ": type " + t.type() + " cannot be dequantized"));
        return Quantization.dequantize(format, t.data(), rows, rowLength);
    }
}
