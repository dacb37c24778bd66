package dev.edgelm.kernels.quant;

/**
 * The weight encodings the kernels understand, with their block geometry.
 *
 * <p>A block holds {@link #blockSize()} consecutive values of one row in {@link #blockBytes()} bytes; rows are
 * whole numbers of blocks. Layouts follow llama.cpp's {@code ggml-common.h} exactly (BitNet's {@link #I2_S}
 * follows microsoft/BitNet's fork), so a tensor memory-mapped from a GGUF file is used in place. All multi-byte
 * fields are little-endian; "F16" means an IEEE binary16 field. {@link BlockCodec} documents how each format is
 * quantized and dequantized.
 */
public enum BlockFormat {
    /** IEEE binary32 values. */
    F32(1, 4),
    /** IEEE binary16 values. */
    F16(1, 2),
    /** bfloat16 values (the upper half of a binary32). */
    BF16(1, 2),
    /** 32 x 4-bit, one F16 scale; value = (q - 8) * d. Bytes: d, then 16 bytes of nibbles (low = j, high = j+16). */
    Q4_0(32, 18),
    /** 32 x 4-bit, F16 scale and minimum; value = q * d + m. Bytes: d, m, then the nibbles as in Q4_0. */
    Q4_1(32, 20),
    /** 32 x 5-bit, one F16 scale; value = (q - 16) * d. Bytes: d, 32 fifth bits (bit j of a LE uint32), nibbles. */
    Q5_0(32, 22),
    /** 32 x 5-bit, F16 scale and minimum; value = q * d + m. Bytes: d, m, the fifth bits, nibbles. */
    Q5_1(32, 24),
    /** 32 x int8, one F16 scale; value = q * d. Bytes: d, then 32 int8. */
    Q8_0(32, 34),
    /** 32 x int8, F16 scale and F16 d*sum(q): the activation side of Q4_1/Q5_1 dot products. Bytes: d, s, 32 int8. */
    Q8_1(32, 36),
    /**
     * Super-block of 8 x 32 4-bit values with 6-bit sub-block scales and minimums; value = d*sc*q - dmin*m.
     * Bytes: F16 d, F16 dmin, 12 bytes of packed 6-bit (sc, m) pairs, 128 bytes of nibbles.
     */
    Q4_K(256, 144),
    /** As Q4_K with a fifth bit per value. Bytes: d, dmin, 12 scale bytes, 32 bytes of fifth bits, 128 of nibbles. */
    Q5_K(256, 176),
    /**
     * Super-block of 16 x 16 6-bit values, int8 sub-block scales, one F16 scale; value = d*sc*(q - 32).
     * Bytes: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales, F16 d.
     */
    Q6_K(256, 210),
    /** 256 x int8, F32 scale and per-16 int16 sums: the activation side of K-quant dot products. */
    Q8_K(256, 292),
    /** Ternary, 5 values per byte in base 3 (1.6 bits per weight), then 4 per byte; F16 scale last. */
    TQ1_0(256, 54),
    /** Ternary, 2 bits per value storing t+1; F16 scale last. */
    TQ2_0(256, 66),
    /**
     * BitNet b1.58's ternary format as microsoft/BitNet's converter writes it on x86 ({@code QK_I2_S = 128}).
     *
     * <p>Every group of 128 values takes 32 bytes: value {@code j} of the group is the 2-bit code in byte
     * {@code j % 32} at bit shift {@code 6 - 2 * (j / 32)}, so byte {@code b} holds values {@code b, b+32, b+64,
     * b+96} from its most to its least significant bits. Codes 0, 1, 2 mean -1, 0, +1 (3 also reads as 0). There
     * is no per-block scale: ONE float32 scale for the whole tensor sits right after the packed bytes, at byte
     * offset {@code elements / 4}, followed by 28 bytes of padding, so the tensor takes
     * {@code elements / 4 + 32} bytes ({@link #tensorBytes}). Rows are {@code rowLength / 4} bytes apart
     * ({@link #rowBytes}); the trailer comes once, after the last row.
     *
     * <p>BitNet's ARM build ({@code QK_I2_S = 64}) packs 64 values into 16 bytes instead; nothing in a GGUF file
     * tells the two apart, and published I2_S files use this x86 layout.
     */
    I2_S(128, 32, 32);

    private final int blockSize;
    private final int blockBytes;
    private final int tensorTrailerBytes;

    BlockFormat(int blockSize, int blockBytes) {
        this(blockSize, blockBytes, 0);
    }

    BlockFormat(int blockSize, int blockBytes, int tensorTrailerBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.tensorTrailerBytes = tensorTrailerBytes;
    }

    /** Values per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes a whole tensor carries after its rows (the per-tensor scale of {@link #I2_S}); 0 for the others. */
    public int tensorTrailerBytes() {
        return tensorTrailerBytes;
    }

    /**
     * Bytes taken by one row of {@code rowLength} values.
     *
     * @throws IllegalArgumentException if the length is negative or the row is not a whole number of blocks
     */
    public long rowBytes(long rowLength) {
        if (rowLength < 0 || rowLength % blockSize != 0) {
            throw new IllegalArgumentException(
                    name() + " rows must be a multiple of " + blockSize + " values, got " + rowLength);
        }
        return rowLength / blockSize * blockBytes;
    }

    /**
     * Bytes taken by a whole tensor of {@code rows} rows of {@code rowLength} values, trailer included (this is
     * what a GGUF file reserves for it, before alignment padding). An empty tensor takes no bytes, as in ggml.
     *
     * @throws IllegalArgumentException if {@code rows} is negative, the row length is invalid for this format
     *     ({@link #rowBytes}), or the size overflows a {@code long}
     */
    public long tensorBytes(long rows, long rowLength) {
        if (rows < 0) {
            throw new IllegalArgumentException(name() + " tensor row count must not be negative, got " + rows);
        }
        long rowBytes = rowBytes(rowLength);
        if (rows == 0 || rowLength == 0) {
            return 0;
        }
        try {
            return Math.addExact(Math.multiplyExact(rows, rowBytes), tensorTrailerBytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    name() + " tensor of " + rows + " x " + rowLength + " values is too large", e);
        }
    }
}
