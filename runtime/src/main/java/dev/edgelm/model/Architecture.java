package dev.edgelm.model;

import dev.edgelm.kernels.RopeLayout;
import java.util.Arrays;
import java.util.Optional;

/**
 * The model architectures EdgeLM runs, named as GGUF's {@code general.architecture} names them, with what the
 * forward pass needs to know about each that the file does not say.
 *
 * <p>Everything else is read from the file: which tensors exist (biases, Q/K norms, sub-norms, fused projections)
 * switches the matching step of the forward pass on, so an architecture here is only the handful of choices
 * llama.cpp hard-codes in its graph for that name.
 */
public enum Architecture {
    /** Llama 2/3.x, TinyLlama, SmolLM2, Mistral-style GQA; Llama 3 RoPE scaling through {@code rope_freqs}. */
    LLAMA("llama", RopeLayout.NORMAL, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /** Qwen2 and Qwen2.5: the llama block with Q/K/V biases and NeoX RoPE. */
    QWEN2("qwen2", RopeLayout.NEOX, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /** Qwen3: RMSNorm of each query and key head before RoPE. */
    QWEN3("qwen3", RopeLayout.NEOX, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /** Phi-3 and Phi-3.5 mini: fused QKV and fused gate-up projections. */
    PHI3("phi3", RopeLayout.NEOX, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /** Apple's OpenELM: head counts and FFN widths differ per layer, fused QKV, Q/K norms. */
    OPENELM("openelm", RopeLayout.NEOX, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /**
     * llama.cpp's BitNet b1.58 layout, with sub-norms before the output and down projections. llama.cpp's graph
     * gates the FFN with SiLU, so EdgeLM does too, to give the same answers on the same file.
     */
    BITNET("bitnet", RopeLayout.NEOX, Activation.SILU, Norm.RMS, Block.SEQUENTIAL, false),
    /** BitNet b1.58 2B4T as microsoft/BitNet's converter writes it: the bitnet block with a squared-ReLU FFN. */
    BITNET_B158("bitnet-b1.58", RopeLayout.NEOX, Activation.SQUARED_RELU, Norm.RMS, Block.SEQUENTIAL, false),
    /** Gemma: GeGLU, embeddings scaled by the square root of their width. */
    GEMMA("gemma", RopeLayout.NEOX, Activation.GELU, Norm.RMS, Block.SEQUENTIAL, true),
    /** Gemma 2: Gemma with norms after attention and FFN, soft-capped scores and logits, sliding-window layers. */
    GEMMA2("gemma2", RopeLayout.NEOX, Activation.GELU, Norm.RMS, Block.SEQUENTIAL, true),
    /** Phi-2: LayerNorm, attention and MLP side by side on the same input, partial rotary, biases. */
    PHI2("phi2", RopeLayout.NEOX, Activation.GELU, Norm.LAYER, Block.PARALLEL, false),
    /** GPT-2: learned absolute positions instead of RoPE, LayerNorm, GELU MLP, biases. */
    GPT2("gpt2", null, Activation.GELU, Norm.LAYER, Block.SEQUENTIAL, false);

    /** The feed-forward activation (of the gate when the FFN is gated). */
    public enum Activation {
        /** SwiGLU: {@code silu(gate) * up}. */
        SILU,
        /** {@code relu(gate)^2 * up}. */
        SQUARED_RELU,
        /** GELU (tanh form): GeGLU when gated, a plain GELU MLP otherwise. */
        GELU
    }

    /** How activations are normalised. */
    public enum Norm {
        /** RMSNorm: scaled by the inverse root mean square, no bias. */
        RMS,
        /** LayerNorm: mean subtracted, scaled by the inverse standard deviation, with a bias. */
        LAYER
    }

    /** How attention and the FFN combine in a block. */
    public enum Block {
        /** {@code x += attn(norm(x)); x += ffn(norm(x))}. */
        SEQUENTIAL,
        /** {@code x += attn(norm(x)) + ffn(norm(x))}, one norm for both (Phi-2). */
        PARALLEL
    }

    private final String ggufName;
    private final RopeLayout ropeLayout;
    private final Activation activation;
    private final Norm norm;
    private final Block block;
    private final boolean scaledEmbedding;

    Architecture(String ggufName, RopeLayout ropeLayout, Activation activation, Norm norm, Block block,
            boolean scaledEmbedding) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
        this.activation = activation;
        this.norm = norm;
        this.block = block;
        this.scaledEmbedding = scaledEmbedding;
    }

    /** The name in {@code general.architecture}, which is also the prefix of the hyperparameter keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Whether positions are encoded by RoPE (all but GPT-2, which learns position embeddings). */
    public boolean usesRope() {
        return ropeLayout != null;
    }

    /**
     * Which head values RoPE rotates together (llama.cpp's {@code llama_model_rope_type}).
     *
     * @throws IllegalStateException for an architecture without RoPE
     */
    public RopeLayout ropeLayout() {
        if (ropeLayout == null) {
            throw new IllegalStateException(ggufName + " does not use RoPE");
        }
        return ropeLayout;
    }

    /** The feed-forward activation. */
    public Activation activation() {
        return activation;
    }

    /** The normalisation. */
    public Norm norm() {
        return norm;
    }

    /** How attention and FFN combine. */
    public Block block() {
        return block;
    }

    /** Whether token embeddings are multiplied by {@code sqrt(embedding_length)} (Gemma). */
    public boolean scaledEmbedding() {
        return scaledEmbedding;
    }

    /**
     * Whether llama.cpp's graph multiplies by the token embedding even when the file has an {@code output.weight}
     * (BitNet): EdgeLM then reads only an interleaved {@code output.weight}, which only {@code edgelm repack} writes.
     */
    public boolean headIsTheEmbedding() {
        return this == BITNET || this == BITNET_B158;
    }

    /** The architecture GGUF calls {@code name}, if EdgeLM runs it. */
    public static Optional<Architecture> fromGguf(String name) {
        return Arrays.stream(values()).filter(a -> a.ggufName.equals(name)).findFirst();
    }

    /** The names EdgeLM runs, for error messages. */
    public static String supportedNames() {
        return String.join(", ", Arrays.stream(values()).map(Architecture::ggufName).toList());
    }
}
