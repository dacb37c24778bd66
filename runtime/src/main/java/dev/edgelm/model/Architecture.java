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
    LLAMA("llama", RopeLayout.NORMAL, Activation.SILU),
    /** Qwen2 and Qwen2.5: the llama block with Q/K/V biases and NeoX RoPE. */
    QWEN2("qwen2", RopeLayout.NEOX, Activation.SILU),
    /** Qwen3: RMSNorm of each query and key head before RoPE. */
    QWEN3("qwen3", RopeLayout.NEOX, Activation.SILU),
    /** Phi-3 and Phi-3.5 mini: fused QKV and fused gate-up projections. */
    PHI3("phi3", RopeLayout.NEOX, Activation.SILU),
    /** Apple's OpenELM: head counts and FFN widths differ per layer, fused QKV, Q/K norms. */
    OPENELM("openelm", RopeLayout.NEOX, Activation.SILU),
    /**
     * llama.cpp's BitNet b1.58 layout, with sub-norms before the output and down projections. llama.cpp's graph
     * gates the FFN with SiLU, so EdgeLM does too, to give the same answers on the same file.
     */
    BITNET("bitnet", RopeLayout.NEOX, Activation.SILU),
    /** BitNet b1.58 2B4T as microsoft/BitNet's converter writes it: the bitnet block with a squared-ReLU FFN. */
    BITNET_B158("bitnet-b1.58", RopeLayout.NEOX, Activation.SQUARED_RELU);

    /** The gate activation of the feed-forward block. */
    public enum Activation {
        /** SwiGLU: {@code silu(gate) * up}. */
        SILU,
        /** {@code relu(gate)^2 * up}. */
        SQUARED_RELU
    }

    private final String ggufName;
    private final RopeLayout ropeLayout;
    private final Activation activation;

    Architecture(String ggufName, RopeLayout ropeLayout, Activation activation) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
        this.activation = activation;
    }

    /** The name in {@code general.architecture}, which is also the prefix of the hyperparameter keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Which head values RoPE rotates together (llama.cpp's {@code llama_model_rope_type}). */
    public RopeLayout ropeLayout() {
        return ropeLayout;
    }

    /** The feed-forward gate activation. */
    public Activation activation() {
        return activation;
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
