package dev.edgelm.model;

/**
 * One transformer block's weights, as llama.cpp names them ({@code blk.N.*}). Optional parts are null when the
 * file has no such tensor; their presence switches the matching step of the forward pass on.
 *
 * @param attnNorm    RMSNorm weight before attention
 * @param query       Q projection, or null when {@code qkv} is fused
 * @param key         K projection, or null when {@code qkv} is fused
 * @param value       V projection, or null when {@code qkv} is fused
 * @param qkv         fused Q|K|V projection (Phi-3, OpenELM), or null
 * @param queryNorm   per-head RMSNorm weight of the queries before RoPE (Qwen3, OpenELM), or null
 * @param keyNorm     per-head RMSNorm weight of the keys before RoPE, or null
 * @param attnSubNorm RMSNorm weight before the output projection (BitNet), or null
 * @param attnOutput  attention output projection
 * @param ffnNorm     RMSNorm weight before the FFN
 * @param gate        FFN gate projection, or null when fused into {@code up} (Phi-3: gate then up)
 * @param up          FFN up projection (twice the FFN width when the gate is fused into it)
 * @param ffnSubNorm  RMSNorm weight before the down projection (BitNet), or null
 * @param down        FFN down projection
 */
public record LayerWeights(
        float[] attnNorm,
        Linear query,
        Linear key,
        Linear value,
        Linear qkv,
        float[] queryNorm,
        float[] keyNorm,
        float[] attnSubNorm,
        Linear attnOutput,
        float[] ffnNorm,
        Linear gate,
        Linear up,
        float[] ffnSubNorm,
        Linear down) {

    /** Whether Q, K and V come from one fused projection. */
    public boolean fusedQkv() {
        return qkv != null;
    }

    /** Whether the FFN gate is the first half of {@code up}'s output. */
    public boolean fusedGateUp() {
        return gate == null;
    }
}
