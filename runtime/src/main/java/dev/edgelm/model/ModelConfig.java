package dev.edgelm.model;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufFormatException;
import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufNumericArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model's hyperparameters, read from its GGUF metadata ({@code ARCH.*} keys) as llama.cpp reads them.
 *
 * @param architecture     the architecture
 * @param embeddingLength  width of the residual stream ({@code n_embd})
 * @param vocabularySize   rows of the token embedding
 * @param contextLength    the context the model was trained for ({@code n_ctx_train})
 * @param layers           per-layer head counts and FFN width (they differ between layers only in OpenELM)
 * @param headDimK         values per query and key head
 * @param headDimV         values per value head
 * @param ropeDims         values of each head that RoPE rotates (all of them unless partial rotary)
 * @param ropeBase         RoPE frequency base ({@code rope.freq_base}, 10000 when absent)
 * @param ropeScale        linear RoPE position scale: positions are multiplied by it (1 / {@code
 *                         rope.scaling.factor}, 1 when absent)
 * @param normEpsilon      the epsilon of every norm (RMSNorm or LayerNorm, as the architecture has)
 * @param attentionScale   the factor of the query-key scores ({@code 1 / sqrt(headDimK)} for all but Gemma 2 27B)
 * @param attentionSoftcap Gemma 2's soft cap of the attention scores, or 0 for none
 * @param finalSoftcap     Gemma 2's soft cap of the output logits, or 0 for none
 * @param slidingWindow    how many positions (the current one included) a sliding-window layer attends to
 */
public record ModelConfig(
        Architecture architecture,
        int embeddingLength,
        int vocabularySize,
        int contextLength,
        List<LayerShape> layers,
        int headDimK,
        int headDimV,
        int ropeDims,
        double ropeBase,
        double ropeScale,
        float normEpsilon,
        float attentionScale,
        float attentionSoftcap,
        float finalSoftcap,
        int slidingWindow) {

    /**
     * The sizes of one transformer block.
     *
     * @param heads             query heads
     * @param kvHeads           key/value heads (fewer than {@code heads} for grouped-query attention)
     * @param feedForwardLength hidden width of the FFN
     * @param slidingWindow     whether attention looks back only {@link ModelConfig#slidingWindow()} positions
     */
    public record LayerShape(int heads, int kvHeads, int feedForwardLength, boolean slidingWindow) {
        /** Checks the counts. */
        public LayerShape {
            if (heads <= 0 || kvHeads <= 0 || feedForwardLength <= 0 || heads % kvHeads != 0) {
                throw new IllegalArgumentException("invalid layer shape: " + heads + " heads, " + kvHeads
                        + " KV heads, FFN " + feedForwardLength);
            }
        }
    }

    /** Copies the layer list. */
    public ModelConfig {
        layers = List.copyOf(layers);
    }

    /**
     * Reads the hyperparameters of {@code file}.
     *
     * @throws UnsupportedArchitectureException if EdgeLM does not run the architecture
     * @throws GgufFormatException if a key is missing or has the wrong type, or a value is out of range
     */
    public static ModelConfig read(GgufFile file) {
        GgufMetadata md = file.metadata();
        String source = file.parts().getFirst().source();
        String name = md.getString("general.architecture");
        Architecture architecture = Architecture.fromGguf(name)
                .orElseThrow(() -> new UnsupportedArchitectureException(source, name));
        String p = name + ".";
        int embeddingLength = positive(source, p + "embedding_length", md.getInt(p + "embedding_length"));
        int blockCount = positive(source, p + "block_count", md.getInt(p + "block_count"));
        int[] heads = perLayer(source, md, p + "attention.head_count", blockCount, null);
        int[] kvHeads = perLayer(source, md, p + "attention.head_count_kv", blockCount, heads);
        int[] ffn = perLayer(source, md, p + "feed_forward_length", blockCount, null);
        boolean[] sliding = slidingLayers(md, p, architecture, blockCount);
        List<LayerShape> layers = new ArrayList<>(blockCount);
        for (int l = 0; l < blockCount; l++) {
            if (heads[l] % kvHeads[l] != 0) {
                throw new GgufFormatException(source, -1, "layer " + l + ": " + heads[l]
                        + " query heads are not a multiple of " + kvHeads[l] + " KV heads");
            }
            layers.add(new LayerShape(heads[l], kvHeads[l], ffn[l], sliding[l]));
        }
        // key_length/value_length are written only when a head is not embedding_length / head_count wide.
        int headDimK = md.getOptionalInt(p + "attention.key_length").orElse(embeddingLength / heads[0]);
        int headDimV = md.getOptionalInt(p + "attention.value_length").orElse(headDimK);
        int ropeDims = md.getOptionalInt(p + "rope.dimension_count").orElse(headDimK);
        if (ropeDims <= 0 || ropeDims % 2 != 0 || ropeDims > headDimK) {
            throw new GgufFormatException(source, -1, p + "rope.dimension_count is " + ropeDims
                    + ", it must be even and at most the head size " + headDimK);
        }
        double ropeBase = md.getOptionalFloat(p + "rope.freq_base").orElse(10_000f);
        String scalingType = md.getOptionalString(p + "rope.scaling.type").orElse("linear");
        float factor = md.getOptionalFloat(p + "rope.scaling.factor")
                .orElse(md.getOptionalFloat(p + "rope.scale_linear").orElse(0f));
        if (!scalingType.equals("linear") && !scalingType.equals("none") && factor != 1f && factor != 0f) {
            throw new GgufFormatException(source, -1, "RoPE scaling '" + scalingType
                    + "' is not supported (EdgeLM supports linear scaling and Llama 3's rope_freqs)");
        }
        double ropeScale = factor == 0f ? 1.0 : 1.0 / factor;
        float eps = md.getFloat(p + (architecture.norm() == Architecture.Norm.RMS
                ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"));
        int vocabularySize = (int) file.tensor("token_embd.weight").dim(1);
        int contextLength = md.getOptionalInt(p + "context_length").orElse(2048);
        // Gemma 2 27B scales by the model width per head rather than the head size (llama.cpp follows Google's
        // config, keyed on the 46 layers of that model).
        float attentionScale = architecture == Architecture.GEMMA2 && blockCount == 46
                ? (float) (1 / Math.sqrt((double) embeddingLength / heads[0]))
                : (float) (1 / Math.sqrt(headDimK));
        boolean softcaps = architecture == Architecture.GEMMA2;
        float attentionSoftcap = softcaps ? md.getOptionalFloat(p + "attn_logit_softcapping").orElse(0f) : 0f;
        float finalSoftcap = softcaps ? md.getOptionalFloat(p + "final_logit_softcapping").orElse(0f) : 0f;
        int window = md.getOptionalInt(p + "attention.sliding_window").orElse(GEMMA2_DEFAULT_WINDOW);
        return new ModelConfig(architecture, embeddingLength, vocabularySize, contextLength, layers, headDimK,
                headDimV, ropeDims, ropeBase, ropeScale, eps, attentionScale, attentionSoftcap, finalSoftcap,
                window);
    }

    /** Gemma 2's window when the file does not say (llama.cpp's default). */
    private static final int GEMMA2_DEFAULT_WINDOW = 4096;

    /**
     * Which layers attend through a sliding window: Gemma 2's even layers, as llama.cpp's default pattern of 2
     * has it, unless {@code attention.sliding_window_pattern} says otherwise (a period, or one flag per layer).
     */
    private static boolean[] slidingLayers(GgufMetadata md, String p, Architecture architecture, int blocks) {
        boolean[] sliding = new boolean[blocks];
        if (architecture != Architecture.GEMMA2) {
            return sliding;
        }
        String key = p + "attention.sliding_window_pattern";
        if (md.find(key).orElse(null) instanceof GgufNumericArray flags) {
            for (int l = 0; l < Math.min(blocks, flags.size()); l++) {
                sliding[l] = flags.getBoolean(l);
            }
            return sliding;
        }
        int period = md.getOptionalInt(key).orElse(2);
        for (int l = 0; l < blocks; l++) {
            sliding[l] = period == 0 || l % period < period - 1;
        }
        return sliding;
    }

    /** Number of transformer blocks. */
    public int blockCount() {
        return layers.size();
    }

    /** The widest query projection of any layer ({@code heads * headDimK}). */
    public int maxQueryWidth() {
        return layers.stream().mapToInt(l -> l.heads() * headDimK).max().orElseThrow();
    }

    /** The widest attention output of any layer ({@code heads * headDimV}). */
    public int maxAttentionWidth() {
        return layers.stream().mapToInt(l -> l.heads() * headDimV).max().orElseThrow();
    }

    /** The widest FFN hidden layer. */
    public int maxFeedForwardLength() {
        return layers.stream().mapToInt(LayerShape::feedForwardLength).max().orElseThrow();
    }

    /** The most query heads of any layer. */
    public int maxHeads() {
        return layers.stream().mapToInt(LayerShape::heads).max().orElseThrow();
    }

    /** A value per layer: an array of {@code blocks} integers, or one integer for all ({@code fallback} if absent). */
    private static int[] perLayer(String source, GgufMetadata md, String key, int blocks, int[] fallback) {
        if (!md.contains(key) && fallback != null) {
            return fallback;
        }
        int[] values;
        if (md.get(key) instanceof GgufNumericArray array) {
            if (array.size() != blocks) {
                throw new GgufFormatException(source, -1, key + " has " + array.size() + " values for " + blocks
                        + " blocks");
            }
            values = array.toIntArray();
        } else {
            values = new int[blocks];
            Arrays.fill(values, md.getInt(key));
        }
        for (int v : values) {
            positive(source, key, v);
        }
        return values;
    }

    private static int positive(String source, String key, int value) {
        if (value <= 0) {
            throw new GgufFormatException(source, -1, key + " must be positive, got " + value);
        }
        return value;
    }
}
