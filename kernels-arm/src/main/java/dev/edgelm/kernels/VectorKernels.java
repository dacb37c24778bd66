package dev.edgelm.kernels;

import dev.edgelm.kernels.QuantizedActivations.Encoding;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.KQuantScales;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels at the width {@link KernelProvider} chose, held in static finals so that the JIT sees
 * constant species.
 *
 * <p>The integer pipeline: weight codes are loaded as bytes and widened to 16-bit lanes, multiplied by the
 * activation codes (already stored as {@code short}), partial sums kept in 16-bit lanes as long as they provably
 * fit, then pairs of 16-bit lanes are added into 32-bit lanes ({@link #pairSum}, the Vector API's stand-in for
 * {@code pmaddwd}/{@code sdot}), converted to float once per block and multiply-added with the block's scale.
 * Bounds, with activation codes in [-127, 127]: an int8 product is at most 16256 (so two of them fit a lane), a
 * 4-bit one 1905, a 2-bit one 381. A 32-value block's 16 nibble bytes fill at most 256 bits of shorts, so
 * the integer pipeline is at most 256 bits wide; float operations use the full width.
 *
 * <p>Matrices that {@link #prepare} interleaved (Q4_0, Q4_K, Q5_0, Q6_K, Q8_0, TQ1_0, TQ2_0 and I2_S, in whole
 * 16-row groups, {@link WeightLayout#INTERLEAVED_16}; TQ1_0 repacked into TQ2_0's units) run their format's
 * interleaved kernels ({@link InterleavedProducts}), 16 rows at a time; those of Q6_K, Q8_0 and the ternary formats
 * ({@link InterleavedQ6K}, {@link InterleavedQ8_0}, {@link InterleavedTq2}) fill vectors of any width with whole
 * rows, so their integer loops run at the full width. In the GGUF layout, Q8_0, Q4_0, TQ1_0,
 * TQ2_0, I2_S and Q4_K have fused matrix-vector loops that read the blocks directly, and F32, F16 and BF16 rows
 * are widened and dotted in place. The other formats, and matrix-matrix products of fewer than
 * {@link VectorMatmul#MIN_COLUMNS} columns, first decode a weight row into this thread's {@link DecodedRow}
 * ({@link VectorDecoders}: signed 16-bit codes with per-group scales, or floats), then run one dot per activation
 * column, so each row's bytes are read and decoded once for all columns. (A fused row-by-row Q6_K loop measured
 * half the speed of decode-then-dot here: its per-16 scales cost a 32-bit multiply or a float multiply-add per
 * vector either way. Interleaved, one scale multiply serves a sub-block of 16 rows.) Larger matrix-matrix products
 * are float products on decoded rows, tiled in registers ({@link VectorMatmul}). Matrix products allocate nothing
 * (a single dot on an interleaved matrix allocates its one-float result).
 *
 * <p>How every vector loop here is written, so that C2 keeps its vectors in registers. Each rule was found in a
 * whole model that, in some runs and not others, decoded at half speed with thousands of collections: C2 had
 * compiled a kernel's loop-carried vectors as heap objects (docs/benchmarks.md, "Kernels that box their vectors").
 * <ul>
 *   <li>Species are constants, and a result's species is named: {@code convertShape} and {@code reinterpretShape}
 *       with a constant, never {@code convert} or {@code reinterpretAs*}, which look it up in a cache C2 does not
 *       always fold.
 *   <li>One shape per lane type at 128 and 256 bits ({@link #FLOAT_SHORTS}; {@code VectorShapesTest}): the Vector
 *       API's generic methods dispatch on type profiles the whole process shares.
 *   <li>A loop-carried accumulator is the addend of {@code fma}, whose receiver is a loaded, broadcast or computed
 *       vector, never a converted one: C2 inlines an operation on a converted vector late, and when the
 *       accumulator's own type then waits on that operation, it gives up and boxes both ({@code a.fma(b, acc)} is
 *       {@code b.fma(a, acc)} to the last bit).
 *   <li>Inside its loop, a loop-carried vector is an operand, never the receiver: {@code sum = x.add(sum)}, not
 *       {@code sum.add(x)} (integer sums are the same in any order; float ones are only commuted, never
 *       regrouped). The receiver's class decides which method C2 inlines for the call, at parse time, when a
 *       loop variable's class is not yet known exactly, so the choice falls to the shared type profile, and a
 *       call it does not inline boxes the accumulator and its operand. As an operand, the variable waits until
 *       its class is known. The Q6_K head's block sum written as a receiver boxed in 7 of 26 runs of the 1B and
 *       I2_S fixtures, at 512 and 128 bits; as an operand in none of 26 (docs/benchmarks.md).
 * </ul>
 * Those rules make the failure rarer, not impossible: the operations are inlined late, round by round, and whether
 * an accumulator's operand types are exact when its operation's turn comes depends on the order of the rounds. The
 * {@code edgelm} launcher therefore asks C2 (on JDK 25) to propagate types between rounds in EdgeLM's methods
 * ({@code IncrementalInlineForceCleanup}).
 */
final class VectorKernels implements Kernels {

    private static final int BITS = KernelProvider.VECTOR_BITS;
    private static final int INT_BITS = Math.min(BITS, 256);
    static final VectorSpecies<Byte> BYTES = species(byte.class, INT_BITS / 2);
    static final VectorSpecies<Short> SHORTS = species(short.class, INT_BITS);
    private static final VectorSpecies<Integer> INTS = species(int.class, INT_BITS);
    static final VectorSpecies<Float> BLOCK_FLOATS = species(float.class, INT_BITS);
    static final VectorSpecies<Float> FLOATS = species(float.class, BITS);
    static final VectorSpecies<Integer> FLOAT_INTS = species(int.class, BITS);
    /**
     * 16-bit lanes of {@link #FLOATS}' shape, twice its lanes: F16 values are loaded a whole vector at a time (its
     * lower half converted) and activation codes stored two float vectors at a time, never through a half-width
     * vector of shorts. Two shapes of one lane type let C2 box the vectors of loops compiled after both were used
     * (the Vector API's type profiles are shared process-wide).
     */
    static final VectorSpecies<Short> FLOAT_SHORTS = species(short.class, BITS);
    static final int FL = FLOATS.length();
    /** Rows of an {@link #addProduct} register tile. */
    private static final int PRODUCT_ROWS = 4;
    /** 16-bit lanes per vector: weight bytes loaded per step. */
    static final int SL = SHORTS.length();

    static final ValueLayout.OfShort F16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int GROUP = 32;
    static final int SUPER = 256;
    private static final int I2S_BLOCK = 128;
    private static final int[] POW3 = {1, 3, 9, 27};
    /**
     * Constant operands of the ternary loops, as vectors: a scalar operand is broadcast again at every use, which
     * costs C2 nodes in the inlining budget of the loop (see {@link #dotQ4K}) and, in the compiled loop, a
     * broadcast per use.
     */
    private static final ShortVector ONES = ShortVector.broadcast(SHORTS, (short) 1);
    private static final ShortVector THREES = ShortVector.broadcast(SHORTS, (short) 3);
    private static final ShortVector FOURS = ShortVector.broadcast(SHORTS, (short) 4);
    private static final ShortVector TWELVES = ShortVector.broadcast(SHORTS, (short) 12);
    private static final ShortVector LOW_BITS = ShortVector.broadcast(SHORTS, (short) 0x55);
    private static final ShortVector LOW_BYTE = ShortVector.broadcast(SHORTS, (short) 0xFF);
    /**
     * TQ1_0's last 4 bytes (4 trits each): lane l of vector j takes byte l % 4 of them ({@link #TQ1_TAIL_BYTES},
     * out of the block's last {@link #SL} bytes) times 3^((j * SL + l) / 4), so that its trit is that of value
     * 240 + j * SL + l.
     */
    private static final VectorShuffle<Byte> TQ1_TAIL_BYTES = VectorShuffle.fromOp(BYTES, l -> SL - 6 + (l & 3));
    private static final ShortVector[] TQ1_TAIL_POWERS = tq1TailPowers();

    /** For NORMAL RoPE: table index i / 2 for lane i, lanes swapped in pairs, and the sign of each lane's sine. */
    private static final int[] PAIR_INDEX = IntStream.range(0, FL).map(i -> i / 2).toArray();
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(FLOATS, i -> i ^ 1);
    private static final FloatVector PAIR_SIGNS = pairSigns();

    private final ScalarKernels reference = new ScalarKernels();

    private static FloatVector pairSigns() {
        float[] signs = new float[FL];
        for (int i = 0; i < FL; i++) {
            signs[i] = i % 2 == 0 ? -1 : 1;
        }
        return FloatVector.fromArray(FLOATS, signs, 0);
    }

    private static ShortVector[] tq1TailPowers() {
        ShortVector[] powers = new ShortVector[16 / SL];
        for (int j = 0; j < powers.length; j++) {
            short[] lanes = new short[SL];
            for (int l = 0; l < SL; l++) {
                lanes[l] = (short) POW3[(j * SL + l) / 4];
            }
            powers[j] = ShortVector.fromArray(SHORTS, lanes, 0);
        }
        return powers;
    }

    /** The species of {@code type} in vectors of {@code bits} bits. */
    static <E> VectorSpecies<E> species(Class<E> type, int bits) {
        return VectorSpecies.of(type, VectorShape.forBitSize(bits));
    }

    @Override
    public String name() {
        return "vector-" + BITS;
    }

    @Override
    public int vectorBits() {
        return BITS;
    }

    // ---- quantized products

    /** Matrices of whole 16-row groups in a format with an interleaved layout are interleaved; the rest run in place. */
    @Override
    public WeightMatrix prepare(WeightMatrix w, Arena arena) {
        return RowInterleaving.interleaveIfPossible(w, arena);
    }

    @Override
    public float dot(WeightMatrix w, int row, QuantizedActivations x, int column) {
        x.checkFits(w);
        Objects.checkIndex(row, w.rows());
        Objects.checkIndex(column, x.columns());
        if (w.layout() == WeightLayout.INTERLEAVED_16) {
            float[] result = new float[1];
            InterleavedProducts.matvec(w, x, column, result, -row, row, row + 1);
            return result[0];
        }
        if (hasFusedDot(w.format())) {
            return fusedDot(w, row, x, column);
        }
        DecodedRow decoded = DecodedRow.local(w);
        decode(w, row, decoded);
        return decodedDot(decoded, x, column);
    }

    /** Interleaved matrices: their kernel's rows per pass; the GGUF layout: one row at a time. */
    @Override
    public int rowStep(WeightMatrix w) {
        return w.layout() == WeightLayout.INTERLEAVED_16 ? InterleavedProducts.rowStep(w.format()) : 1;
    }

    @Override
    public void matvec(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        KernelChecks.product(w, x, out, rowStart, rowEnd, 1);
        if (w.layout() == WeightLayout.INTERLEAVED_16) {
            InterleavedProducts.matvec(w, x, 0, out, 0, rowStart, rowEnd);
            return;
        }
        if (hasFusedDot(w.format())) {
            for (int r = rowStart; r < rowEnd; r++) {
                out[r] = fusedDot(w, r, x, 0);
            }
            return;
        }
        DecodedRow decoded = DecodedRow.local(w);
        for (int r = rowStart; r < rowEnd; r++) {
            decode(w, r, decoded);
            out[r] = decodedDot(decoded, x, 0);
        }
    }

    @Override
    public void matmul(WeightMatrix w, QuantizedActivations x, float[] out, int rowStart, int rowEnd) {
        KernelChecks.product(w, x, out, rowStart, rowEnd, x.columns());
        if (x.columns() >= VectorMatmul.MIN_COLUMNS) {
            VectorMatmul.multiply(w, x, out, rowStart, rowEnd);
            return;
        }
        if (w.layout() == WeightLayout.INTERLEAVED_16) {
            for (int c = 0; c < x.columns(); c++) {
                InterleavedProducts.matvec(w, x, c, out, c * w.rows(), rowStart, rowEnd);
            }
            return;
        }
        DecodedRow decoded = DecodedRow.local(w);
        for (int r = rowStart; r < rowEnd; r++) {
            // Each row is read and decoded once, then dotted with every column from the cache.
            decode(w, r, decoded);
            for (int c = 0; c < x.columns(); c++) {
                out[c * w.rows() + r] = decodedDot(decoded, x, c);
            }
        }
    }

    /** Decodes row {@code row} of {@code w} into {@code decoded} (made ready for {@code w}). */
    private static void decode(WeightMatrix w, int row, DecodedRow decoded) {
        if (decoded.floats) {
            VectorDecoders.decodeFloats(w, row, decoded.values, 0);
        } else {
            VectorDecoders.decode(w, row, decoded);
        }
    }

    /** A decoded row dotted with activation column {@code column}. */
    private float decodedDot(DecodedRow row, QuantizedActivations x, int column) {
        return row.floats ? dot(row.values, 0, x.values, column * row.cols, row.cols) : integerDot(row, x, column);
    }

    /** The formats whose matrix-vector products read the blocks directly (the others decode rows first). */
    private static boolean hasFusedDot(BlockFormat format) {
        return switch (format) {
            case Q8_0, Q4_0, TQ1_0, TQ2_0, I2_S, Q4_K, F32, F16, BF16 -> true;
            default -> false;
        };
    }

    /** One row's dot product, with the format's fused loop (the switch is per row, not per block). */
    private static float fusedDot(WeightMatrix w, int row, QuantizedActivations x, int column) {
        MemorySegment m = w.data();
        long at = row * w.rowBytes();
        int cols = w.cols();
        return switch (w.format()) {
            case Q8_0 -> dotQ8_0(m, at, cols / GROUP, x.q8Codes, x.q8Scales, column * cols);
            case Q4_0 -> dotQ4_0(m, at, cols / GROUP, x.q8Codes, x.q8Scales, column * cols);
            case TQ1_0 -> dotTq1(m, at, cols / SUPER, x, column * cols);
            case TQ2_0 -> dotTq2(m, at, cols / SUPER, x, column * cols);
            case I2_S -> dotI2s(m, at, cols / I2S_BLOCK, x.q8Codes, x.q8Scales, column * cols) * w.tensorScale();
            case Q4_K -> dotQ4K(m, at, cols / SUPER, x, column * cols);
            case F32, F16, BF16 -> VectorDecoders.dotFloats(w.format(), m, at, x.values, column * cols, cols);
            default -> throw new AssertionError(w.format());
        };
    }

    /**
     * Q8_0 x Q8_0, on two accumulators (even and odd blocks) so that consecutive multiply-adds do not wait for
     * each other.
     */
    private static float dotQ8_0(MemorySegment m, long row, int blocks, short[] a, float[] as, int base) {
        FloatVector even = FloatVector.zero(BLOCK_FLOATS);
        FloatVector odd = FloatVector.zero(BLOCK_FLOATS);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long at = row + b * 34L;
            int ai = base + b * GROUP;
            even = scaleAdd(q8_0Block(m, at, a, ai), f16(m, at) * as[ai / GROUP], even);
            odd = scaleAdd(q8_0Block(m, at + 34, a, ai + GROUP), f16(m, at + 34) * as[ai / GROUP + 1], odd);
        }
        if (b < blocks) {
            long at = row + b * 34L;
            int ai = base + b * GROUP;
            even = scaleAdd(q8_0Block(m, at, a, ai), f16(m, at) * as[ai / GROUP], even);
        }
        return sumBlockFloats(even.add(odd));
    }

    /** One Q8_0 block's integer dot: int8 products are at most 16256, so two of them share a 16-bit lane. */
    private static IntVector q8_0Block(MemorySegment m, long at, short[] a, int ai) {
        IntVector sum = IntVector.zero(INTS);
        for (int i = 0; i < GROUP; i += 2 * SL) {
            ShortVector products = bytesAsShorts(m, at + 2 + i).mul(codes(a, ai + i))
                    .add(bytesAsShorts(m, at + 2 + SL + i).mul(codes(a, ai + SL + i)));
            sum = pairSum(products).add(sum);
        }
        return sum;
    }

    /**
     * Q4_0 x Q8_0: byte j holds values j (low nibble) and j + 16 (high), both stored as q + 8. The 8 is taken
     * out per value rather than through the activation sum, which would cancel badly when the values are small.
     * A whole block of products (at most 8 x 127 each) fits 16-bit lanes.
     */
    private static float dotQ4_0(MemorySegment m, long row, int blocks, short[] a, float[] as, int base) {
        FloatVector acc = FloatVector.zero(BLOCK_FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 18L;
            int ai = base + b * GROUP;
            ShortVector products = ShortVector.zero(SHORTS);
            for (int i = 0; i < GROUP / 2; i += SL) {
                ShortVector q = bytesAsShorts(m, at + 2 + i);
                products = lowNibbles(q).sub((short) 8).mul(codes(a, ai + i))
                        .add(highNibbles(q).sub((short) 8).mul(codes(a, ai + GROUP / 2 + i))).add(products);
            }
            acc = scaleAdd(pairSum(products), f16(m, at) * as[ai / GROUP], acc);
        }
        return sumBlockFloats(acc);
    }

    /**
     * TQ2_0 x Q8_K: codes c = t + 1 are multiplied as stored (a whole block of 2-bit products fits 16-bit
     * lanes) and the activation block sum is subtracted once per block, in the integer domain so that nothing
     * cancels in float.
     */
    private static float dotTq2(MemorySegment m, long row, int blocks, QuantizedActivations x, int base) {
        short[] a = x.qkCodes;
        FloatVector acc = FloatVector.zero(BLOCK_FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 66L;
            int ai = base + b * SUPER;
            ShortVector products = ShortVector.zero(SHORTS);
            for (int half = 0; half < 2; half++) {
                for (int i = 0; i < 32; i += SL) {
                    ShortVector q = bytesAsShorts(m, at + 32 * half + i);
                    int aj = ai + 128 * half + i;
                    for (int n = 0; n < 4; n++) {
                        ShortVector c = q.lanewise(VectorOperators.LSHR, 2 * n).and((short) 3);
                        products = c.mul(codes(a, aj + 32 * n)).add(products);
                    }
                }
            }
            IntVector sum = pairSum(products).add(IntVector.zero(INTS).withLane(0, -x.qkSums256[ai / SUPER]));
            acc = scaleAdd(sum, f16(m, at + 64) * x.qkScales[ai / SUPER], acc);
        }
        return sumBlockFloats(acc);
    }

    /**
     * TQ1_0 x Q8_K. Trit n of a byte q is {@code ((q * 3^n mod 256) * 3) >> 8} (see {@link BlockFormat#TQ1_0}'s
     * codec), so with {@code v = 3 * (q * 3^n mod 256)} in a 16-bit lane, trit n is {@code v >>> 8} and the next
     * v is {@code 3 * (v & 0xFF)}: a shift, a mask and a multiply per trit. The trits, t + 1 in [0, 2], are
     * multiplied with the activation codes as stored (a whole block of such products fits 16-bit lanes). The
     * block's lanes are summed into one int before the activation block sum is subtracted and the result scaled:
     * lanes that cancel only as a whole (a row of zero weights) would not cancel exactly in float.
     *
     * <p>Blocks are counted by their byte offset, a {@code long}: with an {@code int} block counter, C2 guards
     * each segment access with long range-check arithmetic in the loop, costing about as much as the vector work.
     */
    private static float dotTq1(MemorySegment m, long row, int blocks, QuantizedActivations x, int base) {
        short[] a = x.qkCodes;
        float total = 0;
        int ai = base;
        int k = base / SUPER;
        for (long at = row, end = row + blocks * 54L; at < end; at += 54, ai += SUPER, k++) {
            ShortVector products = ShortVector.zero(SHORTS);
            // 32 bytes holding values i + 32n, then 16 holding values 160 + i + 16n.
            for (int i = 0; i < 32; i += SL) {
                ShortVector v = bytesAsUnsignedShorts(m, at + i).mul(THREES);
                for (int n = 0; n < 5; n++) {
                    products = v.lanewise(VectorOperators.LSHR, 8).mul(codes(a, ai + i + 32 * n)).add(products);
                    v = LOW_BYTE.and(v).mul(THREES);
                }
            }
            for (int i = 0; i < 16; i += SL) {
                ShortVector v = bytesAsUnsignedShorts(m, at + 32 + i).mul(THREES);
                for (int n = 0; n < 5; n++) {
                    products = v.lanewise(VectorOperators.LSHR, 8).mul(codes(a, ai + 160 + i + 16 * n)).add(products);
                    v = LOW_BYTE.and(v).mul(THREES);
                }
            }
            ShortVector tail = (ShortVector) ByteVector.fromMemorySegment(BYTES, m, at + 54 - SL,
                    ByteOrder.LITTLE_ENDIAN).rearrange(TQ1_TAIL_BYTES)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            for (int i = 0; i < 16; i += SL) {
                ShortVector v = tail.mul(TQ1_TAIL_POWERS[i / SL]).and(LOW_BYTE).mul(THREES);
                products = v.lanewise(VectorOperators.LSHR, 8).mul(codes(a, ai + 240 + i)).add(products);
            }
            int sum = smallPairSum(products, 0).reduceLanes(VectorOperators.ADD) - x.qkSums256[k];
            total += sum * (f16(m, at + 52) * x.qkScales[k]);
        }
        return total;
    }

    /**
     * I2_S x Q8_0, without the tensor scale (the caller applies it once per row). Byte i of a 128-value block holds
     * values i, i + 32, i + 64 and i + 96 in bits 6-7, 4-5, 2-3 and 0-1, so each 2-bit plane is one Q8_0
     * activation block. Code 3 is first made 1 (clearing each field's high bit where its low bit is set), after
     * which every code c means c - 1. The planes are masked out of the byte and of its high nibble, so only one
     * shift is needed; those in bits 2-3 carry a factor 4, which their pair sum shifts out. The 1 is subtracted
     * per value, not through the activation sums, so that lanes of zero weights hold exact zeros. A lane gathers
     * at most 4 products of magnitude 4 x 128, far within 16 bits; one float multiply-add per plane. Blocks are
     * counted by byte offset, as in {@link #dotTq1}.
     */
    private static float dotI2s(MemorySegment m, long row, int blocks, short[] a, float[] as, int base) {
        FloatVector acc = FloatVector.zero(BLOCK_FLOATS);
        int ai = base;
        int s = base / GROUP;
        for (long at = row, end = row + blocks * 32L; at < end; at += 32, ai += I2S_BLOCK, s += 4) {
            ShortVector p0 = ShortVector.zero(SHORTS);
            ShortVector p1 = ShortVector.zero(SHORTS);
            ShortVector p2 = ShortVector.zero(SHORTS);
            ShortVector p3 = ShortVector.zero(SHORTS);
            for (int i = 0; i < 32; i += SL) {
                ShortVector q = bytesAsShorts(m, at + i);
                ShortVector low = q.and(LOW_BITS);
                q = q.lanewise(VectorOperators.AND_NOT, low.add(low));
                ShortVector high = q.lanewise(VectorOperators.LSHR, 4);
                p0 = high.and(TWELVES).sub(FOURS).mul(codes(a, ai + i)).add(p0);
                p1 = high.and(THREES).sub(ONES).mul(codes(a, ai + 32 + i)).add(p1);
                p2 = q.and(TWELVES).sub(FOURS).mul(codes(a, ai + 64 + i)).add(p2);
                p3 = q.and(THREES).sub(ONES).mul(codes(a, ai + 96 + i)).add(p3);
            }
            // One reduction in the source, the planes passing through p0: four written out overrun C2's budget.
            for (int g = 0; g < 4; g++) {
                acc = scaleAdd(smallPairSum(p0, g % 2 == 0 ? 2 : 0), as[s + g], acc);
                p0 = p1;
                p1 = p2;
                p2 = p3;
            }
        }
        return sumBlockFloats(acc);
    }

    /**
     * Q4_K x Q8_K: per 32-value sub-block, 16-bit sums of nibble x code, widened, converted and multiply-added
     * with {@code d * scale} (a float multiply-add beats a 32-bit integer multiply, which is slow on many
     * cores). Minimums are folded in through the Q8_K per-16 sums, in float, as their factor differs from the
     * scales'. (The minimums live in their own method to keep this one under C2's inlining node budget: a
     * vector operation left out of line costs a boxed vector per call.)
     */
    private static float dotQ4K(MemorySegment m, long row, int blocks, QuantizedActivations x, int base) {
        short[] a = x.qkCodes;
        FloatVector acc = FloatVector.zero(BLOCK_FLOATS);
        FloatVector accHigh = FloatVector.zero(BLOCK_FLOATS); // a second chain hides the FMA latency
        float offsets = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 144L;
            int ai = base + b * SUPER;
            long scales = KQuantScales.scales(m, at + KQuantScales.OFFSET);
            float d = f16(m, at) * x.qkScales[ai / SUPER];
            for (int chunk = 0; chunk < 4; chunk++) {
                // Chunk c holds sub-block 2c in its low nibbles and 2c + 1 in its high ones.
                ShortVector low = ShortVector.zero(SHORTS);
                ShortVector high = ShortVector.zero(SHORTS);
                int aj = ai + 64 * chunk;
                for (int i = 0; i < GROUP; i += SL) {
                    ShortVector q = bytesAsShorts(m, at + 16 + 32 * chunk + i);
                    low = lowNibbles(q).mul(codes(a, aj + i)).add(low);
                    high = highNibbles(q).mul(codes(a, aj + GROUP + i)).add(high);
                }
                acc = scaleAdd(pairSum(low), d * ((int) (scales >>> (16 * chunk)) & 0xFF), acc);
                accHigh = scaleAdd(pairSum(high), d * ((int) (scales >>> (16 * chunk + 8)) & 0xFF), accHigh);
            }
            offsets += f16(m, at + 2) * x.qkScales[ai / SUPER] * q4kMinSum(m, at, x.qkSums16, ai / 16);
        }
        return sumBlockFloats(acc.add(accHigh)) - offsets;
    }

    /** {@code sum over sub-blocks j of min_j * (activation code sum of sub-block j)}, for Q4_K. */
    private static int q4kMinSum(MemorySegment m, long block, int[] sums16, int first) {
        long mins = KQuantScales.mins(m, block + KQuantScales.OFFSET);
        int total = 0;
        for (int j = 0; j < 8; j++) {
            total += ((int) (mins >>> (8 * j)) & 0xFF) * (sums16[first + 2 * j] + sums16[first + 2 * j + 1]);
        }
        return total;
    }

    /** A row decoded to integer codes dotted with activation column {@code column}, in Q8_0 or Q8_K encoding. */
    private static float integerDot(DecodedRow row, QuantizedActivations x, int column) {
        short[] codes = row.codes;
        boolean q8k = row.q8k;
        int group = 1 << row.groupShift;
        short[] a = q8k ? x.qkCodes : x.q8Codes;
        float[] as = q8k ? x.qkScales : x.q8Scales;
        int scaleShift = q8k ? 8 : 5; // activation scale of element e: as[e >> scaleShift]
        int base = column * row.cols;
        FloatVector acc = FloatVector.zero(BLOCK_FLOATS);
        for (int g = 0; g < row.groups; g++) {
            int w = g << row.groupShift;
            IntVector sum = IntVector.zero(INTS);
            int i = 0;
            for (; i + 2 * SL <= group; i += 2 * SL) {
                // Codes are within int8, so two products share a 16-bit lane (as in dotQ8_0).
                ShortVector products = codes(codes, w + i).mul(codes(a, base + w + i))
                        .add(codes(codes, w + SL + i).mul(codes(a, base + w + SL + i)));
                sum = pairSum(products).add(sum);
            }
            if (i < group) { // a 16-value group at 256 bits is one vector
                sum = pairSum(codes(codes, w + i).mul(codes(a, base + w + i))).add(sum);
            }
            acc = scaleAdd(sum, row.scales[g] * as[(base + w) >> scaleShift], acc);
        }
        float result = sumBlockFloats(acc);
        if (row.withMins) {
            // Groups with minimums are 32 values: one Q8_0 block, or two Q8_K sums of 16.
            float offsets = 0;
            for (int g = 0; g < row.groups; g++) {
                int e = base + (g << row.groupShift);
                int codeSum = q8k ? x.qkSums16[e >> 4] + x.qkSums16[(e >> 4) + 1] : x.q8Sums[e >> 5];
                offsets += row.mins[g] * as[e >> scaleShift] * codeSum;
            }
            result -= offsets;
        }
        return result;
    }

    // ---- integer pipeline helpers

    /** {@link #SL} weight bytes at {@code offset}, sign-extended to 16-bit lanes. */
    static ShortVector bytesAsShorts(MemorySegment m, long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(BYTES, m, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2S, SHORTS, 0);
    }

    /** {@link #SL} weight bytes at {@code offset}, zero-extended to 16-bit lanes. */
    static ShortVector bytesAsUnsignedShorts(MemorySegment m, long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(BYTES, m, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
    }

    private static ShortVector codes(short[] a, int offset) {
        return ShortVector.fromArray(SHORTS, a, offset);
    }

    /** Low nibbles of sign-extended bytes. */
    static ShortVector lowNibbles(ShortVector q) {
        return q.and((short) 0xF);
    }

    /** High nibbles of sign-extended bytes (LSHR is unsigned within the 16-bit lane). */
    static ShortVector highNibbles(ShortVector q) {
        return q.lanewise(VectorOperators.LSHR, 4).and((short) 0xF);
    }

    /** Adds each pair of adjacent 16-bit lanes into one 32-bit lane. */
    private static IntVector pairSum(ShortVector products) {
        IntVector v = (IntVector) products.reinterpretShape(INTS, 0);
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(v.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * {@link #pairSum} in three operations instead of four, for lanes whose pair sums fit 16 bits: the high half of
     * {@code v + (v << 16)} is the pair's sum, which the arithmetic shift by {@code 16 + k} also divides by 2^k
     * (exactly, when it is a multiple of 2^k).
     */
    private static IntVector smallPairSum(ShortVector products, int k) {
        IntVector v = (IntVector) products.reinterpretShape(INTS, 0);
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16 + k);
    }

    /** {@code acc + float(sum) * scale}: the one float multiply-add per block. */
    private static FloatVector scaleAdd(IntVector sum, float scale, FloatVector acc) {
        return FloatVector.broadcast(BLOCK_FLOATS, scale).fma(sum.convertShape(VectorOperators.I2F, BLOCK_FLOATS, 0),
                acc);
    }

    /**
     * The lanes' sum in lane order. {@code reduceLanes(ADD)} may add in any order, and its interpreted and
     * compiled forms differ, which would make results depend on JIT timing (and so on thread scheduling).
     */
    static float sum(FloatVector v) {
        float total = 0;
        for (int i = 0; i < v.length(); i++) {
            total += v.lane(i);
        }
        return total;
    }

    /**
     * {@link #sum} for {@link #BLOCK_FLOATS} accumulators. At 512 bits that species is not {@link #FLOATS}: one
     * shared method saw two vector classes at {@code lane}, and C2 deoptimized the integer dots that inlined it
     * again and again, until they ran in C1 code that boxes every vector (decode 2x slower, gigabytes of garbage
     * per second). A method per species keeps each call site monomorphic.
     */
    private static float sumBlockFloats(FloatVector v) {
        float total = 0;
        for (int i = 0; i < BLOCK_FLOATS.length(); i++) {
            total += v.lane(i);
        }
        return total;
    }

    static float f16(MemorySegment m, long offset) {
        return Float.float16ToFloat(m.get(F16, offset));
    }

    // ---- float vectors, at the full width

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        KernelChecks.ranges(a, aOffset, b, bOffset, n);
        FloatVector acc = FloatVector.zero(FLOATS);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            acc = FloatVector.fromArray(FLOATS, a, aOffset + i).fma(FloatVector.fromArray(FLOATS, b, bOffset + i), acc);
        }
        float tail = 0;
        for (; i < n; i++) {
            tail += a[aOffset + i] * b[bOffset + i];
        }
        return sum(acc) + tail;
    }

    /**
     * {@link #addProduct} in register tiles of {@value #PRODUCT_ROWS} rows by two vectors of columns: per step of
     * the inner index, two loads of {@code b}, four broadcasts of {@code a} and eight fused multiply-adds, so each
     * loaded vector serves four rows. Rows past the last full tile repeat the tile's first row (the same values
     * are stored twice to the same place), columns past the last vector go to the reference.
     */
    @Override
    public void addProduct(float[] a, int aOffset, int aStride, float[] b, int bOffset, int bStride, float[] c,
            int cOffset, int cStride, int rows, int inner, int cols) {
        KernelChecks.matrix(a.length, aOffset, aStride, rows, inner);
        KernelChecks.matrix(b.length, bOffset, bStride, inner, cols);
        KernelChecks.matrix(c.length, cOffset, cStride, rows, cols);
        int vectorCols = FLOATS.loopBound(cols);
        for (int r0 = 0; r0 < rows; r0 += PRODUCT_ROWS) {
            int height = Math.min(PRODUCT_ROWS, rows - r0);
            int a0 = aOffset + r0 * aStride;
            int a1 = height > 1 ? a0 + aStride : a0;
            int a2 = height > 2 ? a0 + 2 * aStride : a0;
            int a3 = height > 3 ? a0 + 3 * aStride : a0;
            int c0 = cOffset + r0 * cStride;
            int c1 = height > 1 ? c0 + cStride : c0;
            int c2 = height > 2 ? c0 + 2 * cStride : c0;
            int c3 = height > 3 ? c0 + 3 * cStride : c0;
            int j = 0;
            for (; j + 2 * FL <= vectorCols; j += 2 * FL) {
                FloatVector s0 = FloatVector.fromArray(FLOATS, c, c0 + j);
                FloatVector s1 = FloatVector.fromArray(FLOATS, c, c1 + j);
                FloatVector s2 = FloatVector.fromArray(FLOATS, c, c2 + j);
                FloatVector s3 = FloatVector.fromArray(FLOATS, c, c3 + j);
                FloatVector t0 = FloatVector.fromArray(FLOATS, c, c0 + j + FL);
                FloatVector t1 = FloatVector.fromArray(FLOATS, c, c1 + j + FL);
                FloatVector t2 = FloatVector.fromArray(FLOATS, c, c2 + j + FL);
                FloatVector t3 = FloatVector.fromArray(FLOATS, c, c3 + j + FL);
                for (int i = 0, bi = bOffset + j; i < inner; i++, bi += bStride) {
                    FloatVector x = FloatVector.fromArray(FLOATS, b, bi);
                    FloatVector y = FloatVector.fromArray(FLOATS, b, bi + FL);
                    FloatVector v = FloatVector.broadcast(FLOATS, a[a0 + i]);
                    s0 = v.fma(x, s0);
                    t0 = v.fma(y, t0);
                    v = FloatVector.broadcast(FLOATS, a[a1 + i]);
                    s1 = v.fma(x, s1);
                    t1 = v.fma(y, t1);
                    v = FloatVector.broadcast(FLOATS, a[a2 + i]);
                    s2 = v.fma(x, s2);
                    t2 = v.fma(y, t2);
                    v = FloatVector.broadcast(FLOATS, a[a3 + i]);
                    s3 = v.fma(x, s3);
                    t3 = v.fma(y, t3);
                }
                s3.intoArray(c, c3 + j);
                t3.intoArray(c, c3 + j + FL);
                s2.intoArray(c, c2 + j);
                t2.intoArray(c, c2 + j + FL);
                s1.intoArray(c, c1 + j);
                t1.intoArray(c, c1 + j + FL);
                s0.intoArray(c, c0 + j);
                t0.intoArray(c, c0 + j + FL);
            }
            if (j < vectorCols) { // one vector of columns left
                FloatVector s0 = FloatVector.fromArray(FLOATS, c, c0 + j);
                FloatVector s1 = FloatVector.fromArray(FLOATS, c, c1 + j);
                FloatVector s2 = FloatVector.fromArray(FLOATS, c, c2 + j);
                FloatVector s3 = FloatVector.fromArray(FLOATS, c, c3 + j);
                for (int i = 0, bi = bOffset + j; i < inner; i++, bi += bStride) {
                    FloatVector x = FloatVector.fromArray(FLOATS, b, bi);
                    s0 = FloatVector.broadcast(FLOATS, a[a0 + i]).fma(x, s0);
                    s1 = FloatVector.broadcast(FLOATS, a[a1 + i]).fma(x, s1);
                    s2 = FloatVector.broadcast(FLOATS, a[a2 + i]).fma(x, s2);
                    s3 = FloatVector.broadcast(FLOATS, a[a3 + i]).fma(x, s3);
                }
                s3.intoArray(c, c3 + j);
                s2.intoArray(c, c2 + j);
                s1.intoArray(c, c1 + j);
                s0.intoArray(c, c0 + j);
            }
            ScalarKernels.addProductUnchecked(a, aOffset, aStride, b, bOffset, bStride, c, cOffset, cStride, r0,
                    r0 + height, vectorCols, cols, inner);
        }
    }

    @Override
    public void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int i = 0;
        // A load takes a vector of FLOAT_SHORTS, 2 FL halves, of which the lower FL are converted: as far as such a
        // load stays inside src.
        for (int bound = FLOATS.loopBound(Math.min(n, src.length - srcOffset - FL)); i < bound; i += FL) {
            halvesToFloats(ShortVector.fromArray(FLOAT_SHORTS, src, srcOffset + i)).intoArray(dst, dstOffset + i);
        }
        reference.halfToFloat(src, srcOffset + i, dst, dstOffset + i, n - i);
    }

    /**
     * {@link #FL} half-precision values (the bits in the lower half of {@code halves}, a vector of
     * {@link #FLOAT_SHORTS}) as floats. The Vector API has no half-precision
     * type, so the bits are moved into a float's exponent and mantissa and rescaled by 2^112, which is exact for
     * normal and subnormal halves alike; infinities and NaNs (exponent 31) get the float's all-ones exponent.
     */
    static FloatVector halvesToFloats(ShortVector halves) {
        // Sign-extended: bit 31 is the half's sign bit.
        IntVector h = (IntVector) halves.convertShape(VectorOperators.S2I, FLOAT_INTS, 0);
        IntVector shifted = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        FloatVector finite = ((FloatVector) shifted.reinterpretShape(FLOATS, 0)).mul(0x1p112f);
        IntVector bits = ((IntVector) finite.reinterpretShape(FLOAT_INTS, 0))
                .blend(shifted.or(0x7F80_0000), shifted.compare(VectorOperators.GE, 0x7C00 << 13));
        return (FloatVector) bits.or(h.and(0x8000_0000)).reinterpretShape(FLOATS, 0);
    }

    @Override
    public void add(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        KernelChecks.ranges(dst, dstOffset, src, srcOffset, n);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector.fromArray(FLOATS, dst, dstOffset + i).add(FloatVector.fromArray(FLOATS, src, srcOffset + i))
                    .intoArray(dst, dstOffset + i);
        }
        reference.add(dst, dstOffset + i, src, srcOffset + i, n - i);
    }

    @Override
    public void mul(float[] dst, int dstOffset, float[] src, int srcOffset, int n) {
        KernelChecks.ranges(dst, dstOffset, src, srcOffset, n);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector.fromArray(FLOATS, dst, dstOffset + i).mul(FloatVector.fromArray(FLOATS, src, srcOffset + i))
                    .intoArray(dst, dstOffset + i);
        }
        reference.mul(dst, dstOffset + i, src, srcOffset + i, n - i);
    }

    @Override
    public void scale(float[] x, int offset, int n, float factor) {
        Objects.checkFromIndexSize(offset, n, x.length);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector.fromArray(FLOATS, x, offset + i).mul(factor).intoArray(x, offset + i);
        }
        reference.scale(x, offset + i, n - i, factor);
    }

    @Override
    public void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int weightOffset,
            int n, float eps) {
        KernelChecks.ranges(out, outOffset, x, xOffset, n);
        Objects.checkFromIndexSize(weightOffset, n, weight.length);
        float inverse = KernelChecks.inverseRms(dot(x, xOffset, x, xOffset, n), n, eps);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector.fromArray(FLOATS, x, xOffset + i).mul(inverse)
                    .mul(FloatVector.fromArray(FLOATS, weight, weightOffset + i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inverse * weight[weightOffset + i];
        }
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        scale(x, offset, n, 1 / expSum(x, offset, n, max(x, offset, n)));
    }

    @Override
    public float max(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        FloatVector maxima = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FL) {
            maxima = FloatVector.fromArray(FLOATS, x, offset + i).max(maxima);
        }
        float max = maxima.reduceLanes(VectorOperators.MAX); // exact in any order
        for (int i = bound; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        return max;
    }

    @Override
    public float expSum(float[] x, int offset, int n, float shift) {
        Objects.checkFromIndexSize(offset, n, x.length);
        FloatVector sums = FloatVector.zero(FLOATS);
        int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FL) {
            FloatVector e = FloatVector.fromArray(FLOATS, x, offset + i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sums = e.add(sums);
        }
        return sum(sums) + reference.expSum(x, offset + bound, n - bound, shift);
    }

    @Override
    public void layerNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, float[] bias, int n,
            float eps) {
        KernelChecks.ranges(out, outOffset, x, xOffset, n);
        Objects.checkFromIndexSize(0, n, weight.length);
        int bound = FLOATS.loopBound(n);
        FloatVector sums = FloatVector.zero(FLOATS);
        for (int i = 0; i < bound; i += FL) {
            sums = FloatVector.fromArray(FLOATS, x, xOffset + i).add(sums);
        }
        double sum = sum(sums);
        for (int i = bound; i < n; i++) {
            sum += x[xOffset + i];
        }
        float mean = (float) (sum / n);
        FloatVector squares = FloatVector.zero(FLOATS);
        for (int i = 0; i < bound; i += FL) {
            FloatVector d = FloatVector.fromArray(FLOATS, x, xOffset + i).sub(mean);
            squares = d.fma(d, squares);
        }
        double total = sum(squares);
        for (int i = bound; i < n; i++) {
            float d = x[xOffset + i] - mean;
            total += d * d;
        }
        float inverse = KernelChecks.inverseStdDev(total, n, eps);
        int i = 0;
        for (; i < bound; i += FL) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, xOffset + i).sub(mean).mul(inverse)
                    .mul(FloatVector.fromArray(FLOATS, weight, i));
            if (bias != null) {
                v = v.add(FloatVector.fromArray(FLOATS, bias, i));
            }
            v.intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            float v = (x[xOffset + i] - mean) * inverse * weight[i];
            out[outOffset + i] = bias == null ? v : v + bias[i];
        }
    }

    @Override
    public void gelu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        int i = 0;
        float c = (float) Math.sqrt(2.0 / Math.PI);
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, offset + i);
            FloatVector inner = v.mul(v).fma(0.044715f, 1f).mul(v).mul(c);
            v.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(x, offset + i);
        }
        reference.gelu(x, offset + i, n - i);
    }

    @Override
    public void softcap(float[] x, int offset, int n, float cap) {
        Objects.checkFromIndexSize(offset, n, x.length);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector.fromArray(FLOATS, x, offset + i).div(cap).lanewise(VectorOperators.TANH).mul(cap)
                    .intoArray(x, offset + i);
        }
        reference.softcap(x, offset + i, n - i, cap);
    }

    @Override
    public void silu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        siluTimes(x, offset, null, 0, n);
    }

    @Override
    public void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        KernelChecks.ranges(gate, gateOffset, up, upOffset, n);
        siluTimes(gate, gateOffset, up, upOffset, n);
    }

    /** {@code x = silu(x) * up}, or {@code silu(x)} when {@code up} is null. */
    private static void siluTimes(float[] x, int offset, float[] up, int upOffset, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, offset + i);
            FloatVector s = v.div(v.neg().lanewise(VectorOperators.EXP).add(1f));
            if (up != null) {
                s = s.mul(FloatVector.fromArray(FLOATS, up, upOffset + i));
            }
            s.intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            float s = KernelChecks.silu(x[offset + i]);
            x[offset + i] = up == null ? s : s * up[upOffset + i];
        }
    }

    @Override
    public void squaredRelu(float[] x, int offset, int n) {
        Objects.checkFromIndexSize(offset, n, x.length);
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FL) {
            FloatVector r = FloatVector.fromArray(FLOATS, x, offset + i).max(0f);
            r.mul(r).intoArray(x, offset + i);
        }
        reference.squaredRelu(x, offset + i, n - i);
    }

    @Override
    public void rope(float[] x, int offset, int heads, int headDim, int rotaryDims, float[] cos, float[] sin,
            int tableOffset, RopeLayout layout) {
        KernelChecks.rope(x, offset, heads, headDim, rotaryDims, cos, sin, tableOffset);
        if (layout == RopeLayout.NORMAL) {
            ropeNormal(x, offset, heads, headDim, rotaryDims, cos, sin, tableOffset);
            return;
        }
        int pairs = rotaryDims / 2;
        int bound = FLOATS.loopBound(pairs);
        for (int h = 0; h < heads; h++) {
            int head = offset + h * headDim;
            for (int i = 0; i < bound; i += FL) {
                FloatVector x0 = FloatVector.fromArray(FLOATS, x, head + i);
                FloatVector x1 = FloatVector.fromArray(FLOATS, x, head + pairs + i);
                FloatVector c = FloatVector.fromArray(FLOATS, cos, tableOffset + i);
                FloatVector s = FloatVector.fromArray(FLOATS, sin, tableOffset + i);
                x0.mul(c).sub(x1.mul(s)).intoArray(x, head + i);
                x0.mul(s).add(x1.mul(c)).intoArray(x, head + pairs + i);
            }
            for (int i = bound; i < pairs; i++) {
                float x0 = x[head + i];
                float x1 = x[head + pairs + i];
                x[head + i] = x0 * cos[tableOffset + i] - x1 * sin[tableOffset + i];
                x[head + pairs + i] = x0 * sin[tableOffset + i] + x1 * cos[tableOffset + i];
            }
        }
    }

    /**
     * NORMAL rotary embedding, pairs (2i, 2i + 1) within each vector: {@code x * cos + swap(x) * (-sin, sin)}
     * with cos and sin duplicated per pair, the reference's roundings exactly (negation is exact, and each lane
     * adds the same two products).
     */
    private static void ropeNormal(float[] x, int offset, int heads, int headDim, int rotaryDims, float[] cos,
            float[] sin, int tableOffset) {
        int bound = FLOATS.loopBound(rotaryDims);
        for (int h = 0; h < heads; h++) {
            int head = offset + h * headDim;
            for (int i = 0; i < bound; i += FL) {
                FloatVector v = FloatVector.fromArray(FLOATS, x, head + i);
                FloatVector c = FloatVector.fromArray(FLOATS, cos, tableOffset + i / 2, PAIR_INDEX, 0);
                FloatVector s = FloatVector.fromArray(FLOATS, sin, tableOffset + i / 2, PAIR_INDEX, 0).mul(PAIR_SIGNS);
                v.mul(c).add(v.rearrange(SWAP_PAIRS).mul(s)).intoArray(x, head + i);
            }
            for (int i = bound / 2; i < rotaryDims / 2; i++) {
                float x0 = x[head + 2 * i];
                float x1 = x[head + 2 * i + 1];
                x[head + 2 * i] = x0 * cos[tableOffset + i] - x1 * sin[tableOffset + i];
                x[head + 2 * i + 1] = x0 * sin[tableOffset + i] + x1 * cos[tableOffset + i];
            }
        }
    }
}
