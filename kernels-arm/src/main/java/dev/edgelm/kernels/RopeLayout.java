package dev.edgelm.kernels;

/** Which values of a head RoPE rotates together, in llama.cpp's terms. */
public enum RopeLayout {
    /** Adjacent pairs (2i, 2i+1): llama, and GGUF files converted from it. */
    NORMAL,
    /** Halves (i, i + d/2): NeoX, Qwen2, Phi, Gemma. */
    NEOX
}
