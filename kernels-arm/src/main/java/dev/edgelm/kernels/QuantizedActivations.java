package dev.edgelm.kernels;

import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.BlockFormat;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One or more activation vectors (the columns of a matrix-matrix product), quantized once and then read by
 * every weight matrix that takes them as input (Q, K and V; gate and up), in whichever encoding each weight
 * format's dot product needs ({@link Encoding#of}).
 *
 * <p>It keeps the float values (for F32, F16 and BF16 weights, when asked for), Q8_0 codes with their per-32
 * scales and code sums (when the length is a multiple of 32), and Q8_K codes with their per-256 scales and per-16
 * code sums (when the length is a multiple of 256). Codes are stored widened to {@code short}: kernels load them straight
 * into 16-bit lanes. All buffers are allocated once, by {@link #allocate}; {@link #quantize} refills them.
 *
 * <p>Not thread-safe to refill; any number of threads may read it between refills (the compute pool's hand-off
 * orders the refill before the reads).
 */
public final class QuantizedActivations {

    /** Which representation of the activations a weight format's dot product reads. */
    public enum Encoding {
        /** The float values (F32, F16 and BF16 weights). */
        FLOAT,
        /** Q8_0 blocks of 32 (the legacy 32-value formats and I2_S). */
        Q8_0,
        /** Q8_K blocks of 256 with per-16 sums (the K-quants and the TQ ternary formats). */
        Q8_K;

        /** The encoding llama.cpp pairs with {@code weights} (its {@code vec_dot_type}); Q8_0 for I2_S. */
        public static Encoding of(BlockFormat weights) {
            return switch (weights) {
                case F32, F16, BF16 -> FLOAT;
                case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, I2_S -> Q8_0;
                case Q4_K, Q5_K, Q6_K, Q8_K, TQ1_0, TQ2_0 -> Q8_K;
            };
        }
    }

    static final int Q8_BLOCK = ActivationQuantizer.Q8_0_BLOCK;
    static final int QK_BLOCK = ActivationQuantizer.Q8_K_BLOCK;
    static final int QK_SUM_GROUP = 16;
    /**
     * Whether to quantize with vectors (the same codes, faster); never when the scalar kernels were chosen, as
     * the vector module may be absent then.
     */
    private static final boolean VECTOR = KernelProvider.VECTOR_BITS != 0;

    private final int length;
    private final int capacity;
    private int columns;

    /**
     * The float values, for F32, F16 and BF16 weights; null unless {@link Encoding#FLOAT} was asked for: the codes
     * are quantized straight from the caller's array, and a batch of copies would be megabytes nobody reads.
     */
    final float[] values;
    /** Q8_0: codes, one scale and one code sum per 32 values; null when the length is not a multiple of 32. */
    final short[] q8Codes;
    final float[] q8Scales;
    final int[] q8Sums;
    /** Q8_0: scale times code sum per block (Q8_1's {@code s}), to fold weight offsets and minimums in. */
    final float[] q8ScaledSums;
    /** {@link #q8Codes} seen as memory, as {@link #qkCodeMemory} is for Q8_K. */
    final MemorySegment q8CodeMemory;
    /** Q8_K: codes, one scale per 256 values, code sums per 16 and per 256; null unless the length allows. */
    final short[] qkCodes;
    final float[] qkScales;
    final int[] qkSums16;
    final int[] qkSums256;
    /**
     * {@link #qkCodes} seen as memory (the same array, no copy), for kernels that read two adjacent codes as one
     * 32-bit value to broadcast ({@link InterleavedTq2}, {@link InterleavedQ6K}); made once here, as a view made per
     * product would be allocated per product.
     */
    final MemorySegment qkCodeMemory;
    /**
     * For the vector matrix-matrix product, per encoding, the values each column's dot products effectively see
     * (the floats themselves, or code times block scale), columns interleaved: value k of column c at
     * {@code [k * interleavedStride() + c]}. Null unless vector kernels run and the capacity reaches
     * {@link VectorMatmul#MIN_COLUMNS}; filled only by a {@link #quantize} of that many columns or more.
     */
    final float[] interleavedFloats;
    final float[] interleavedQ8;
    final float[] interleavedQk;

    private QuantizedActivations(int length, int capacity, Set<Encoding> encodings) {
        this.length = length;
        this.capacity = capacity;
        int total = Math.multiplyExact(length, capacity);
        this.values = encodings.contains(Encoding.FLOAT) ? new float[total] : null;
        boolean q8 = encodings.contains(Encoding.Q8_0) && length % Q8_BLOCK == 0;
        this.q8Codes = q8 ? new short[total] : null;
        this.q8Scales = q8 ? new float[total / Q8_BLOCK] : null;
        this.q8Sums = q8 ? new int[total / Q8_BLOCK] : null;
        this.q8ScaledSums = q8 ? new float[total / Q8_BLOCK] : null;
        this.q8CodeMemory = q8 ? MemorySegment.ofArray(q8Codes) : null;
        boolean qk = encodings.contains(Encoding.Q8_K) && length % QK_BLOCK == 0;
        this.qkCodes = qk ? new short[total] : null;
        this.qkScales = qk ? new float[total / QK_BLOCK] : null;
        this.qkSums16 = qk ? new int[total / QK_SUM_GROUP] : null;
        this.qkSums256 = qk ? new int[total / QK_BLOCK] : null;
        this.qkCodeMemory = qk ? MemorySegment.ofArray(qkCodes) : null;
        boolean interleave = VECTOR && capacity >= VectorMatmul.MIN_COLUMNS;
        int padded = Math.multiplyExact(length, roundToLanes(capacity));
        this.interleavedFloats = interleave && encodings.contains(Encoding.FLOAT) ? new float[padded] : null;
        this.interleavedQ8 = interleave && q8 ? new float[padded] : null;
        this.interleavedQk = interleave && qk ? new float[padded] : null;
    }

    private static int roundToLanes(int columns) {
        int lanes = Math.max(1, KernelProvider.VECTOR_BITS / Float.SIZE);
        return (columns + lanes - 1) / lanes * lanes;
    }

    /**
     * Buffers for up to {@code capacity} vectors of {@code length} values, in every encoding the length allows.
     *
     * @throws IllegalArgumentException if either is not positive
     */
    public static QuantizedActivations allocate(int length, int capacity) {
        return allocate(length, capacity, EnumSet.allOf(Encoding.class));
    }

    /**
     * Buffers for up to {@code capacity} vectors of {@code length} values in {@code encodings} only (those the length
     * allows): a model whose matrices read one encoding neither stores nor computes the others for every token.
     *
     * @throws IllegalArgumentException if {@code length} or {@code capacity} is not positive
     */
    public static QuantizedActivations allocate(int length, int capacity, Set<Encoding> encodings) {
        if (length <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("length and capacity must be positive, got " + length + ", "
                    + capacity);
        }
        return new QuantizedActivations(length, capacity, Set.copyOf(encodings));
    }

    /** Values per vector. */
    public int length() {
        return length;
    }

    /** The most vectors these buffers hold. */
    public int capacity() {
        return capacity;
    }

    /** Vectors quantized by the last {@link #quantize}. */
    public int columns() {
        return columns;
    }

    /**
     * Whether these buffers hold {@code encoding}: it was asked for and the length allows it (Q8_0: multiple of 32,
     * Q8_K: multiple of 256).
     */
    public boolean supports(Encoding encoding) {
        return switch (encoding) {
            case FLOAT -> values != null;
            case Q8_0 -> q8Codes != null;
            case Q8_K -> qkCodes != null;
        };
    }

    /**
     * Copies and quantizes {@code columns} vectors stored one after another at {@code src[srcOffset ..]}, in
     * every encoding these buffers hold, on the calling thread.
     *
     * @throws IllegalArgumentException if {@code columns} is not in [1, capacity]
     * @throws IndexOutOfBoundsException if the source range lies outside {@code src}
     */
    public void quantize(float[] src, int srcOffset, int columns) {
        begin(src, srcOffset, columns);
        quantizeColumns(src, srcOffset, 0, columns);
        if (columns >= VectorMatmul.MIN_COLUMNS) {
            interleave(0, ceilDiv(length, Q8_BLOCK));
        }
    }

    /**
     * {@link #quantize(float[], int, int)} split across {@code pool}: columns, then (for a matrix-matrix product)
     * blocks of the interleaved values. A prefill batch's quantization ran on one thread while the others waited,
     * about a fifth of a 135M model's prefill time on two threads. The results do not depend on the pool's size
     * (a pool of one thread runs each split as one chunk on the caller).
     */
    public void quantize(float[] src, int srcOffset, int columns, ComputePool pool) {
        if (columns < VectorMatmul.MIN_COLUMNS) {
            quantize(src, srcOffset, columns);
            return;
        }
        begin(src, srcOffset, columns);
        pool.forEachChunk(columns, ceilDiv(columns, pool.threads()),
                (first, end) -> quantizeColumns(src, srcOffset, first, end));
        int blocks = ceilDiv(length, Q8_BLOCK);
        pool.forEachChunk(blocks, ceilDiv(blocks, pool.threads()), this::interleave);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private void begin(float[] src, int srcOffset, int columns) {
        if (columns <= 0 || columns > capacity) {
            throw new IllegalArgumentException("columns must be in [1, " + capacity + "], got " + columns);
        }
        Objects.checkFromIndexSize(srcOffset, columns * length, src.length);
        this.columns = columns;
    }

    /** Copies (when the float encoding is held) and quantizes columns [first, end). */
    private void quantizeColumns(float[] src, int srcOffset, int first, int end) {
        if (values != null) {
            System.arraycopy(src, srcOffset + first * length, values, first * length, (end - first) * length);
        }
        if (q8Codes != null) {
            for (int b = first * length / Q8_BLOCK; b < end * length / Q8_BLOCK; b++) {
                int from = srcOffset + b * Q8_BLOCK;
                q8Scales[b] = VECTOR ? VectorQuantizer.quantizeQ8_0(src, from, q8Codes, b * Q8_BLOCK)
                        : ActivationQuantizer.quantizeQ8_0(src, from, q8Codes, b * Q8_BLOCK);
                q8Sums[b] = sum(q8Codes, b * Q8_BLOCK, Q8_BLOCK);
                q8ScaledSums[b] = q8Scales[b] * q8Sums[b];
            }
        }
        if (qkCodes != null) {
            for (int b = first * length / QK_BLOCK; b < end * length / QK_BLOCK; b++) {
                int from = srcOffset + b * QK_BLOCK;
                qkScales[b] = VECTOR ? VectorQuantizer.quantizeQ8K(src, from, qkCodes, b * QK_BLOCK)
                        : ActivationQuantizer.quantizeQ8K(src, from, qkCodes, b * QK_BLOCK);
                int blockSum = 0;
                for (int g = 0; g < QK_BLOCK / QK_SUM_GROUP; g++) {
                    int s = sum(qkCodes, b * QK_BLOCK + g * QK_SUM_GROUP, QK_SUM_GROUP);
                    qkSums16[b * (QK_BLOCK / QK_SUM_GROUP) + g] = s;
                    blockSum += s;
                }
                qkSums256[b] = blockSum;
            }
        }
    }

    /** Checks that these activations can feed {@code w}: same length, and the encoding its format needs. */
    void checkFits(WeightMatrix w) {
        if (w.cols() != length) {
            throw new IllegalArgumentException("matrix rows have " + w.cols() + " values, activations " + length);
        }
        Encoding encoding = Encoding.of(w.format());
        if (!supports(encoding)) {
            throw new IllegalArgumentException(w.format() + " needs " + encoding + " activations, which these (length "
                    + length + ") do not hold");
        }
        if (columns == 0) {
            throw new IllegalStateException("activations have not been quantized yet");
        }
    }

    /**
     * Fills the interleaved values of Q8_0 blocks [firstBlock, endBlock) of the row (32 values each), a block of
     * every column at a time, each block's scale read once (a Q8_K scale covers 8 such blocks): column by column,
     * with a scale read per value, it took about 1.5 times as long.
     */
    private void interleave(int firstBlock, int endBlock) {
        int stride = interleavedStride();
        for (int k0 = firstBlock * Q8_BLOCK; k0 < Math.min(length, endBlock * Q8_BLOCK); k0 += Q8_BLOCK) {
            int end = Math.min(length, k0 + Q8_BLOCK);
            for (int c = 0; c < columns; c++) {
                int base = c * length;
                if (interleavedFloats != null) {
                    for (int k = k0; k < end; k++) {
                        interleavedFloats[k * stride + c] = values[base + k];
                    }
                }
                if (interleavedQ8 != null) {
                    float scale = q8Scales[(base + k0) / Q8_BLOCK];
                    for (int k = k0; k < end; k++) {
                        interleavedQ8[k * stride + c] = q8Codes[base + k] * scale;
                    }
                }
                if (interleavedQk != null) {
                    float scale = qkScales[(base + k0) / QK_BLOCK];
                    for (int k = k0; k < end; k++) {
                        interleavedQk[k * stride + c] = qkCodes[base + k] * scale;
                    }
                }
            }
        }
    }

    /** Columns rounded up to whole float vectors: the distance between two values of one column, interleaved. */
    int interleavedStride() {
        return roundToLanes(columns);
    }

    /** The interleaved values for {@code encoding} (after a {@link #quantize} of enough columns). */
    float[] interleaved(Encoding encoding) {
        return switch (encoding) {
            case FLOAT -> interleavedFloats;
            case Q8_0 -> interleavedQ8;
            case Q8_K -> interleavedQk;
        };
    }

    private static int sum(short[] codes, int from, int n) {
        int s = 0;
        for (int i = from; i < from + n; i++) {
            s += codes[i];
        }
        return s;
    }
}
