package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.BlockFormat;

/**
 * One weight row decoded to small signed integer codes, with a float scale and minimum per group of values
 * (value = scale * code - minimum), or for F32, F16 and BF16 rows to floats: the form in which
 * {@link VectorKernels} runs matrix-matrix products and the matrix-vector products of the formats without a
 * fused loop, so that each row's bytes are read and decoded once however many activation columns use them.
 *
 * <p>Codes stay within int8 for every format (Q6_K: -32..31, the 5-bit formats: 0..31 or -16..15), which is
 * what bounds the vector kernels' 16-bit products. Groups are 32 values, 16 for Q6_K (its scale granularity).
 * Each thread keeps one instance ({@link #local}), grown to the longest row it has seen, so products allocate
 * nothing once warm. {@link VectorDecoders} fills it.
 */
final class DecodedRow {

    private static final ThreadLocal<DecodedRow> LOCAL = ThreadLocal.withInitial(DecodedRow::new);
    /**
     * Codes past the row's: {@link VectorDecoders} widens them a vector of {@link VectorKernels#FLOAT_SHORTS} (two
     * float vectors' worth) at a time, of which it uses the lower half.
     */
    private static final int FLOAT_SHORTS_PADDING = VectorKernels.FL;

    short[] codes = new short[0];
    float[] scales = new float[0];
    float[] mins = new float[0];
    /** A float row (F32, F16 and BF16 matrices). */
    float[] values = new float[0];
    /** log2 of the group size. */
    int groupShift;
    /** Values and groups in the current row. */
    int cols;
    int groups;
    boolean withMins;
    /** Whether the row's format reads Q8_K activations (else Q8_0). */
    boolean q8k;
    /** Whether the row is decoded to {@link #values} (F32, F16, BF16) rather than to codes. */
    boolean floats;

    private DecodedRow() {}

    /** This thread's scratch, made ready for rows of {@code w}. */
    static DecodedRow local(WeightMatrix w) {
        DecodedRow row = LOCAL.get();
        row.prepare(w);
        return row;
    }

    private void prepare(WeightMatrix w) {
        BlockFormat format = w.format();
        cols = w.cols();
        floats = QuantizedActivations.Encoding.of(format) == QuantizedActivations.Encoding.FLOAT;
        if (floats) {
            if (values.length < cols) {
                values = new float[cols];
            }
            return;
        }
        q8k = QuantizedActivations.Encoding.of(format) == QuantizedActivations.Encoding.Q8_K;
        groupShift = format == BlockFormat.Q6_K ? 4 : 5;
        groups = cols >> groupShift;
        withMins = switch (format) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> true;
            default -> false;
        };
        if (codes.length < cols + FLOAT_SHORTS_PADDING) {
            codes = new short[cols + FLOAT_SHORTS_PADDING];
        }
        if (scales.length < groups) {
            scales = new float[groups];
            mins = new float[groups];
        }
    }
}
