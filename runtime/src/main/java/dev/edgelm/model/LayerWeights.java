package dev.edgelm.model;

import java.util.Objects;
import java.util.stream.Stream;

/**
 * One transformer block's weights, as llama.cpp names them ({@code blk.N.*}). Optional parts are null when the
 * file has no such tensor; their presence switches the matching step of the forward pass on.
 *
 * @param attnNorm        norm weight before attention
 * @param attnNormBias    its bias (LayerNorm), or null
 * @param query           Q projection, or null when {@code qkv} is fused
 * @param key             K projection, or null when {@code qkv} is fused
 * @param value           V projection, or null when {@code qkv} is fused
 * @param qkv             fused Q|K|V projection (Phi-2, Phi-3, OpenELM, GPT-2), or null
 * @param queryNorm       per-head RMSNorm weight of the queries before RoPE (Qwen3, OpenELM), or null
 * @param keyNorm         per-head RMSNorm weight of the keys before RoPE, or null
 * @param attnSubNorm     RMSNorm weight before the output projection (BitNet), or null
 * @param attnOutput      attention output projection
 * @param attnPostNorm    RMSNorm weight of the attention output before the residual (Gemma 2), or null
 * @param ffnNorm         norm weight before the FFN, or null when the block is parallel (Phi-2)
 * @param ffnNormBias     its bias (LayerNorm), or null
 * @param gate            FFN gate projection, or null when fused into {@code up} or the FFN is not gated
 * @param up              FFN up projection (twice the FFN width when the gate is fused into it)
 * @param gateFusedIntoUp whether {@code up}'s output is gate then up (Phi-3)
 * @param ffnSubNorm      RMSNorm weight before the down projection (BitNet), or null
 * @param down            FFN down projection
 * @param ffnPostNorm     RMSNorm weight of the FFN output before the residual (Gemma 2), or null
 */
public record LayerWeights(
        float[] attnNorm,
        float[] attnNormBias,
        Linear query,
        Linear key,
        Linear value,
        Linear qkv,
        float[] queryNorm,
        float[] keyNorm,
        float[] attnSubNorm,
        Linear attnOutput,
        float[] attnPostNorm,
        float[] ffnNorm,
        float[] ffnNormBias,
        Linear gate,
        Linear up,
        boolean gateFusedIntoUp,
        float[] ffnSubNorm,
        Linear down,
        float[] ffnPostNorm) {

    /** Every projection of the layer, fused or not. */
    public Stream<Linear> linears() {
        return Stream.of(query, key, value, qkv, attnOutput, gate, up, down).filter(Objects::nonNull);
    }

    /** Whether Q, K and V come from one fused projection. */
    public boolean fusedQkv() {
        return qkv != null;
    }

    /** Whether the FFN multiplies an activated gate with the up projection (else it activates the up projection). */
    public boolean gated() {
        return gate != null || gateFusedIntoUp;
    }
}
