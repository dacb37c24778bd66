package dev.edgelm.model;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufFormatException;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import dev.edgelm.model.ModelConfig.LayerShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A model's tensors, bound to the kernels' types: matrices stay in the memory-mapped file unless the caller asks for
 * another layout, the small vectors (norm weights, biases) are dequantized to {@code float[]} once.
 *
 * @param tokenEmbedding row t is token t's embedding
 * @param layers         the transformer blocks
 * @param positionEmbedding row p is position p's embedding (GPT-2), or null
 * @param outputNorm     norm weight before the output head
 * @param outputNormBias its bias (LayerNorm), or null
 * @param output         the output head; the token embedding itself when the model ties them (its bias: Phi-2)
 * @param ropeFactors    Llama 3's per-pair divisors of the RoPE frequencies ({@code rope_freqs.weight}), or null
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding,
        WeightMatrix positionEmbedding,
        List<LayerWeights> layers,
        float[] outputNorm,
        float[] outputNormBias,
        Linear output,
        float[] ropeFactors) {

    /** Copies the layer list. */
    public ModelWeights {
        layers = List.copyOf(layers);
    }

    /**
     * Binds the tensors of {@code file}, checking every shape against {@code config}; every matrix stays in the
     * mapped file.
     *
     * @throws GgufFormatException if a tensor is missing or has the wrong shape
     */
    public static ModelWeights bind(GgufFile file, ModelConfig config) {
        return bind(file, config, UnaryOperator.identity());
    }

    /**
     * Binds the tensors of {@code file} as {@link #bind(GgufFile, ModelConfig)} does, passing every matrix that is
     * multiplied (the linear layers and the output head) through {@code layout}, e.g. to put it in the layout the
     * kernels multiply fastest ({@link dev.edgelm.kernels.Kernels#prepare}). The token embedding, read a row at a
     * time, stays in the file; a tied output head gets its own copy when {@code layout} makes one.
     *
     * @throws GgufFormatException if a tensor is missing or has the wrong shape
     */
    public static ModelWeights bind(GgufFile file, ModelConfig config, UnaryOperator<WeightMatrix> layout) {
        return new Binder(file, config, layout).bind();
    }

    /** Reads tensors by llama.cpp's names and checks their shapes. */
    private record Binder(GgufFile file, ModelConfig config, UnaryOperator<WeightMatrix> layout) {

        ModelWeights bind() {
            int dim = config.embeddingLength();
            WeightMatrix embedding = rowLookup("token_embd.weight", dim, config.vocabularySize());
            List<LayerWeights> layers = new ArrayList<>(config.blockCount());
            for (int l = 0; l < config.blockCount(); l++) {
                layers.add(layer(l, config.layers().get(l)));
            }
            WeightMatrix positions = file.findTensor("position_embd.weight").isPresent()
                    ? rowLookup("position_embd.weight", dim, config.contextLength())
                    : null;
            // No head means a tied one. An interleaved head is always the head: edgelm repack's copy of a tied
            // embedding.
            boolean ownHead = file.findTensor("output.weight").filter(t -> !config.architecture().headIsTheEmbedding()
                    || t.type().layout() != WeightLayout.ROWS).isPresent();
            Linear output = !ownHead
                    ? new Linear(layout.apply(embedding), optionalVector("output.bias", config.vocabularySize()), 1f)
                    : linear("output", dim, config.vocabularySize());
            float[] ropeFactors = optionalVector("rope_freqs.weight", config.ropeDims() / 2);
            return new ModelWeights(embedding, positions, layers, vector("output_norm.weight", dim),
                    optionalVector("output_norm.bias", dim), output, ropeFactors);
        }

        private LayerWeights layer(int l, LayerShape shape) {
            String b = "blk." + l + ".";
            int dim = config.embeddingLength();
            int q = shape.heads() * config.headDimK();
            int k = shape.kvHeads() * config.headDimK();
            int v = shape.kvHeads() * config.headDimV();
            int ff = shape.feedForwardLength();
            boolean fusedQkv = file.findTensor(b + "attn_qkv.weight").isPresent();
            boolean hasGate = file.findTensor(b + "ffn_gate.weight").isPresent();
            // Phi-3 stores gate and up as one [dim, 2 * ff] tensor named ffn_up, and no ffn_gate; Phi-2 and GPT-2
            // have no gate at all.
            boolean gateInUp = !hasGate && file.tensor(b + "ffn_up.weight").dim(1) == 2L * ff;
            boolean parallel = config.architecture().block() == Architecture.Block.PARALLEL;
            return new LayerWeights(
                    vector(b + "attn_norm.weight", dim),
                    optionalVector(b + "attn_norm.bias", dim),
                    fusedQkv ? null : linear(b + "attn_q", dim, q),
                    fusedQkv ? null : linear(b + "attn_k", dim, k),
                    fusedQkv ? null : linear(b + "attn_v", dim, v),
                    fusedQkv ? linear(b + "attn_qkv", dim, q + k + v) : null,
                    optionalVector(b + "attn_q_norm.weight", config.headDimK()),
                    optionalVector(b + "attn_k_norm.weight", config.headDimK()),
                    optionalVector(b + "attn_sub_norm.weight", dim),
                    linear(b + "attn_output", shape.heads() * config.headDimV(), dim),
                    optionalVector(b + "post_attention_norm.weight", dim),
                    parallel ? null : vector(b + "ffn_norm.weight", dim),
                    optionalVector(b + "ffn_norm.bias", dim),
                    hasGate ? linear(b + "ffn_gate", dim, ff) : null,
                    linear(b + "ffn_up", dim, gateInUp ? 2 * ff : ff),
                    gateInUp,
                    optionalVector(b + "ffn_sub_norm.weight", ff),
                    linear(b + "ffn_down", ff, dim),
                    optionalVector(b + "post_ffw_norm.weight", dim));
        }

        /** {@code NAME.weight} with its optional {@code NAME.bias} and {@code NAME.scale}. */
        private Linear linear(String name, int inputs, int outputs) {
            WeightMatrix weight = layout.apply(matrix(name + ".weight", inputs, outputs));
            float[] bias = optionalVector(name + ".bias", outputs);
            float[] scale = optionalVector(name + ".scale", 1);
            return new Linear(weight, bias, scale == null ? 1f : scale[0]);
        }

        /** A ggml {@code [inputs, outputs]} tensor: {@code outputs} rows of {@code inputs} values. */
        private WeightMatrix matrix(String name, int inputs, int outputs) {
            GgufTensor t = file.tensor(name);
            if (t.rank() != 2 || t.dim(0) != inputs || t.dim(1) != outputs) {
                throw shapeError(t, "[" + inputs + ", " + outputs + "]");
            }
            WeightLayout layout = t.type().layout();
            if (!layout.holds(format(t), outputs)) {
                throw new GgufFormatException(source(), -1, "tensor '" + t.name() + "' is " + t.type().ggmlName()
                        + ", which needs a multiple of " + layout.rowGroup() + " rows, and has " + outputs);
            }
            return new WeightMatrix(format(t), t.data(), outputs, inputs, layout);
        }

        /** An embedding, read a row at a time, so in the GGUF layout. */
        private WeightMatrix rowLookup(String name, int inputs, int outputs) {
            GgmlType type = file.tensor(name).type();
            if (type.layout() != WeightLayout.ROWS) {
                throw new GgufFormatException(source(), -1, "tensor '" + name + "' is " + type.ggmlName()
                        + ", an interleaved layout, but an embedding is read a row at a time");
            }
            return matrix(name, inputs, outputs);
        }

        private float[] vector(String name, int length) {
            GgufTensor t = file.tensor(name);
            if (t.elementCount() != length) {
                throw shapeError(t, "[" + length + "]");
            }
            if (t.type().layout() != WeightLayout.ROWS) {
                throw new GgufFormatException(source(), -1, "tensor '" + name + "' is " + t.type().ggmlName()
                        + ", a matrix layout, but is read as a vector");
            }
            return Quantization.dequantize(format(t), t.data(), 1, length);
        }

        private float[] optionalVector(String name, int length) {
            Optional<GgufTensor> t = file.findTensor(name);
            return t.isPresent() ? vector(name, length) : null;
        }

        private BlockFormat format(GgufTensor t) {
            return t.type().blockFormat().orElseThrow(() -> new UnsupportedTensorTypeException(source(), t.name(),
                    t.type()));
        }

        private GgufFormatException shapeError(GgufTensor t, String expected) {
            return new GgufFormatException(source(), -1, "tensor '" + t.name() + "' has shape "
                    + java.util.Arrays.toString(t.dims()) + ", the " + config.architecture().ggufName()
                    + " hyperparameters need " + expected);
        }

        private String source() {
            return file.parts().getFirst().source();
        }
    }
}
