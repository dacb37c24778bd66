package dev.edgelm.model;

import dev.edgelm.kernels.WeightMatrix;

/**
 * A linear layer as a GGUF file stores it: a weight matrix, an optional bias and an optional per-tensor scale
 * (BitNet's {@code blk.N.*.scale} tensors), applied as {@code y = scale * (W x) + bias}.
 *
 * @param weight the weights, {@code outputs} rows of {@code inputs} values
 * @param bias   one value per output, or null when the model has none
 * @param scale  the factor applied to the product (1 when the model has none)
 */
public record Linear(WeightMatrix weight, float[] bias, float scale) {

    /** Checks that the bias, if any, has one value per output. */
    public Linear {
        if (bias != null && bias.length != weight.rows()) {
            throw new IllegalArgumentException("bias has " + bias.length + " values for " + weight.rows()
                    + " outputs");
        }
    }

    /** Outputs per input vector. */
    public int outputs() {
        return weight.rows();
    }

    /** Values per input vector. */
    public int inputs() {
        return weight.cols();
    }
}
