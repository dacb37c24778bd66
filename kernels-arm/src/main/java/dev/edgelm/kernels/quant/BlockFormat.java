package dev.edgelm.kernels.quant;

/**
 * The weight encodings the kernels understand, with their block geometry.
 *
 * <p>A block holds {@link #blockSize()} consecutive values of one row in {@link #blockBytes()} bytes; rows are
 * whole numbers of blocks. Layouts follow llama.cpp's {@code ggml-common.h} exactly (BitNet's {@link #I2_S}
 * follows microsoft/BitNet's fork), so a tensor memory-mapped from a GGUF file is used in place.
 */
public enum BlockFormat {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    /** 32 x 4-bit, one F16 scale; value = (q - 8) * d. */
    Q4_0(32, 18),
    /** 32 x 4-bit, F16 scale and minimum; value = q * d + m. */
    Q4_1(32, 20),
    /** 32 x 5-bit (high bits packed in 32 bits), one F16 scale; value = (q - 16) * d. */
    Q5_0(32, 22),
    /** 32 x 5-bit, F16 scale and minimum. */
    Q5_1(32, 24),
    /** 32 x int8, one F16 scale. */
    Q8_0(32, 34),
    /** 32 x int8, F16 scale and F16 d*sum(q): the activation side of Q4_1/Q5_1 dot products. */
    Q8_1(32, 36),
    /** Super-block of 8 x 32 4-bit values, 6-bit sub-block scales and minimums, F16 super scales. */
    Q4_K(256, 144),
    /** As Q4_K with a fifth bit per value. */
    Q5_K(256, 176),
    /** Super-block of 16 x 16 6-bit values, int8 sub-block scales, one F16 scale. */
    Q6_K(256, 210),
    /** 256 x int8, F32 scale and per-16 sums: the activation side of K-quant dot products. */
    Q8_K(256, 292),
    /** Ternary, 5 values per byte in base 3 (1.6 bits per weight), one F16 scale. */
    TQ1_0(256, 54),
    /** Ternary, 2 bits per value storing t+1, one F16 scale. */
    TQ2_0(256, 66);

    private final int blockSize;
    private final int blockBytes;

    BlockFormat(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Values per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /**
     * Bytes taken by one row of {@code rowLength} values.
     *
     * @throws IllegalArgumentException if the row is not a whole number of blocks
     */
    public long rowBytes(long rowLength) {
        if (rowLength % blockSize != 0) {
            throw new IllegalArgumentException(
                    name() + " rows must be a multiple of " + blockSize + " values, got " + rowLength);
        }
        return rowLength / blockSize * blockBytes;
    }
}
