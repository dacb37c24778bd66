package dev.edgelm.testbench.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.Quantization;
import dev.edgelm.testbench.peer.LlamaCppPeer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * EdgeLM's reference quantizers ({@link Quantization}) against llama.cpp's own, live: the peer's
 * {@code ggml_quants_ref} runs llama.cpp's unmodified {@code ggml-quants.c}, so "the same bytes" here means the
 * bytes llama.cpp writes into a GGUF file, and "the same values" the floats its dequantizers read back.
 *
 * <p>For every format llama.cpp has (I2_S is BitNet's, not upstream's: kernels-arm tests it), random rows of
 * several {@link Distribution distributions} and three row lengths go through both sides in one harness process
 * per row length, and must give (a) identical quantized bytes and (b) identical dequantized float bits, NaN
 * payloads included. Dequantization is also checked on arbitrary bytes, and F16/BF16 rounding on every
 * rounding boundary. Inputs are seeded: a failure prints the seed, and
 * {@code -Dedgelm.conformance.seed=SEED} reproduces it (a fresh seed otherwise, so every run covers new inputs).
 */
class QuantizationConformanceTest {

    private static final long SEED = Long.getLong("edgelm.conformance.seed", ThreadLocalRandom.current().nextLong());

    /** Rows per distribution are multiplied by this ({@code -Dedgelm.conformance.repeat=N}) for a longer soak. */
    private static final int REPEAT = Integer.getInteger("edgelm.conformance.repeat", 1);

    /** Every llama.cpp format ggml_quants_ref serves, by its name there. */
    enum Target {
        F16(BlockFormat.F16, "f16"),
        BF16(BlockFormat.BF16, "bf16"),
        Q4_0(BlockFormat.Q4_0, "q4_0"),
        Q4_1(BlockFormat.Q4_1, "q4_1"),
        Q5_0(BlockFormat.Q5_0, "q5_0"),
        Q5_1(BlockFormat.Q5_1, "q5_1"),
        Q8_0(BlockFormat.Q8_0, "q8_0"),
        /** llama.cpp cannot dequantize Q8_1 (an activation format): bytes only. */
        Q8_1(BlockFormat.Q8_1, "q8_1"),
        Q4_K(BlockFormat.Q4_K, "q4_K"),
        Q5_K(BlockFormat.Q5_K, "q5_K"),
        Q6_K(BlockFormat.Q6_K, "q6_K"),
        Q8_K(BlockFormat.Q8_K, "q8_K"),
        TQ1_0(BlockFormat.TQ1_0, "tq1_0"),
        TQ2_0(BlockFormat.TQ2_0, "tq2_0");

        final BlockFormat format;
        final String ggml;

        Target(BlockFormat format, String ggml) {
            this.format = format;
            this.ggml = ggml;
        }

        /** Value {@code q * d + m} or {@code d*sc*q - dmin*m}: two F16 fields in every block, at bytes 0 and 2. */
        boolean affine() {
            return this == Q4_1 || this == Q5_1 || this == Q4_K || this == Q5_K;
        }

        /** One block, a few blocks, and a typical hidden size of many blocks. */
        int[] rowLengths() {
            int b = format.blockSize();
            return b == 1 ? new int[] {32, 96, 4096} : new int[] {b, 3 * b, 4096};
        }
    }

    private static LlamaCppPeer peer;
    private static String peerVersion;

    /** Inputs and llama.cpp's bytes per target and row length, shared by the quantize and dequantize tests. */
    private static final Map<String, Corpus> CORPORA = new ConcurrentHashMap<>();

    @BeforeAll
    static void locatePeer() {
        peer = LlamaCppPeer.locate();
        peerVersion = new String(peer.quants(new byte[0], "version"), StandardCharsets.UTF_8).strip();
    }

    // ---------------------------------------------------------------------------------------------------------
    // (a) quantized bytes

    /** Java's blocks for random rows equal llama.cpp's, byte for byte, at every row length. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Target.class)
    void quantizedBytesEqualLlamaCpps(Target target) {
        List<String> failures = new ArrayList<>();
        for (int rowLength : target.rowLengths()) {
            Corpus corpus = corpus(target, rowLength);
            byte[] ours = quantizeJava(target.format, corpus.values, rowLength);
            String failure = compareBlocks(target, rowLength, corpus.values, corpus.labels::get, corpus.llamaBytes, ours);
            if (failure != null) {
                failures.add(failure);
            }
        }
        assertAllMatch(target, failures);
    }

    // ---------------------------------------------------------------------------------------------------------
    // (b) dequantized values

    /** Java's dequantization of llama.cpp's blocks equals llama.cpp's dequantization, float bit for bit. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Target.class, names = "Q8_1", mode = EnumSource.Mode.EXCLUDE)
    void dequantizationOfLlamaCppBlocksEqualsLlamaCpps(Target target) {
        List<String> failures = new ArrayList<>();
        for (int rowLength : target.rowLengths()) {
            Corpus corpus = corpus(target, rowLength);
            String failure = compareDequantized(target, rowLength, corpus.llamaBytes, corpus.labels::get);
            if (failure != null) {
                failures.add(failure);
            }
        }
        assertAllMatch(target, failures);
    }

    /**
     * Dequantizers read whatever a file holds, not only what a quantizer writes: random bytes (NaN, infinite and
     * subnormal scales, every packed scale combination) decode identically; F16 and BF16 over all 65536 patterns.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Target.class, names = "Q8_1", mode = EnumSource.Mode.EXCLUDE)
    void dequantizationOfArbitraryBytesEqualsLlamaCpps(Target target) {
        BlockFormat format = target.format;
        int rowLength;
        byte[] bytes;
        if (format.blockSize() == 1) {
            rowLength = 1 << 16;
            bytes = new byte[2 << 16];
            for (int bits = 0; bits < 1 << 16; bits++) {
                bytes[2 * bits] = (byte) bits;
                bytes[2 * bits + 1] = (byte) (bits >>> 8);
            }
        } else {
            rowLength = 4 * format.blockSize();
            bytes = new byte[(int) format.rowBytes(rowLength) * 512];
            new SplittableRandom(seedFor(target, -1)).nextBytes(bytes);
            if (target.affine()) {
                // Two NaN fields in one block: affineBlocksWithTwoNanFields... checks that case on its own.
                for (int at = 0; at < bytes.length; at += format.blockBytes()) {
                    if (isF16NaN(bytes, at) && isF16NaN(bytes, at + 2)) {
                        bytes[at + 3] &= (byte) ~0x40; // the exponent's top bit: a finite minimum
                    }
                }
            }
        }
        String failure = compareDequantized(target, rowLength, bytes, row -> "random bytes");
        assertAllMatch(target, failure == null ? List.of() : List.of(failure));
    }

    /**
     * Blocks whose two F16 fields (scale and minimum) are both NaN, as a damaged file may hold, dequantize to NaN
     * exactly where llama.cpp's do. Which of two NaN payloads {@code x0*d + m} returns is left open by IEEE 754:
     * gcc on x86-64 returns the product's, and HotSpot's interpreter the other operand's while its compilers return
     * the product's. So only NaN-ness is compared here; every other value is compared bit for bit elsewhere.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Target.class, names = {"Q4_1", "Q5_1", "Q4_K", "Q5_K"})
    void affineBlocksWithTwoNanFieldsDequantizeToNanWhereLlamaCppDoes(Target target) {
        BlockFormat format = target.format;
        int rowLength = format.blockSize();
        int rows = 64;
        byte[] bytes = new byte[(int) format.rowBytes(rowLength) * rows];
        SplittableRandom r = new SplittableRandom(seedFor(target, -2));
        r.nextBytes(bytes);
        for (int at = 0; at < bytes.length; at += format.blockBytes()) {
            for (int field = at; field <= at + 2; field += 2) {
                int payload = r.nextInt(1, 0x400); // non-zero: NaN, signalling when bit 9 is clear
                int bits = (r.nextBoolean() ? 0x8000 : 0) | 0x7C00 | payload;
                bytes[field] = (byte) bits;
                bytes[field + 1] = (byte) (bits >>> 8);
            }
        }
        int[] expected = llamaDequantize(target, rowLength, bytes);
        float[] ours = Quantization.dequantize(format, MemorySegment.ofArray(bytes), rows, rowLength);
        assertThat(ours).hasSize(expected.length);
        for (int i = 0; i < ours.length; i++) {
            assertThat(Float.isNaN(ours[i]))
                    .as("%s value %d: llama.cpp gives 0x%08x, EdgeLM %s (seed %d)", target, i, expected[i], ours[i],
                            seedFor(target, -2))
                    .isEqualTo(Float.isNaN(Float.intBitsToFloat(expected[i])));
        }
    }

    private static boolean isF16NaN(byte[] bytes, int at) {
        int bits = (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8;
        return (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // F16 and BF16 rounding, exhaustively at the boundaries

    /**
     * Every F16 value, the midpoints between neighbours (ties to even), one float ulp either side of both,
     * overflow to infinity, subnormals, and NaNs with assorted payloads and signs.
     */
    @Test
    void f16RoundingEqualsLlamaCppsAtEveryBoundary() {
        FloatList values = new FloatList();
        for (int h = 0; h < 0x7C00; h++) { // every finite non-negative F16 value, then its negative
            float v = Float.float16ToFloat((short) h);
            // Past 65504 comes infinity; rounding treats it as 65536, so the overflow midpoint is 65520.
            float next = h == 0x7BFF ? 65536f : Float.float16ToFloat((short) (h + 1));
            float mid = (v + next) / 2; // exact: F16 has 11 significant bits, float 24
            for (float x : new float[] {v, Math.nextUp(v), Math.nextDown(v), mid, Math.nextUp(mid), Math.nextDown(mid)}) {
                values.add(x);
                values.add(-x);
            }
        }
        addNonFinite(values);
        float[] x = values.padTo(64);
        assertQuantizedBytesMatch(Target.F16, x, 64);
    }

    /** Every BF16 value, the midpoints (ties to even), one float ulp either side, NaN payloads and signs. */
    @Test
    void bf16RoundingEqualsLlamaCppsAtEveryBoundary() {
        FloatList values = new FloatList();
        for (int b = 0; b < 1 << 16; b++) {
            int bits = b << 16;
            for (int low : new int[] {0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF}) {
                values.add(Float.intBitsToFloat(bits | low));
            }
        }
        float[] x = values.padTo(64);
        assertQuantizedBytesMatch(Target.BF16, x, 64);
    }

    private static void assertQuantizedBytesMatch(Target target, float[] x, int rowLength) {
        byte[] llama = peer.quants(floatsToBytes(x), "quantize", target.ggml, Integer.toString(rowLength));
        byte[] ours = quantizeJava(target.format, x, rowLength);
        String failure = compareBlocks(target, rowLength, x, row -> "boundary values", llama, ours);
        assertAllMatch(target, failure == null ? List.of() : List.of(failure));
    }

    private static void addNonFinite(FloatList values) {
        for (int bits : new int[] {0x7F80_0000, 0x7FC0_0000, 0x7F80_0001, 0x7FBF_FFFF, 0x7FC0_0001, 0x7FFF_FFFF,
                0x7FA5_5AA5, 0x7F80_2000, 0x7F80_1FFF}) {
            values.add(Float.intBitsToFloat(bits));
            values.add(Float.intBitsToFloat(bits | 0x8000_0000));
        }
        values.add(Float.MAX_VALUE);
        values.add(-Float.MAX_VALUE);
        values.add(Float.MIN_VALUE);
        values.add(-Float.MIN_VALUE);
        values.add(Float.MIN_NORMAL);
    }

    // ---------------------------------------------------------------------------------------------------------
    // inputs

    /**
     * Row contents. Each row draws its own scale (2^-8 .. 2^8), so blocks land at many magnitudes; the blocks
     * of a row stay independent draws, so one row tests many blocks.
     */
    enum Distribution {
        GAUSSIAN,
        UNIFORM,
        /** All values of one sign per row (the affine formats' positive-minimum branches). */
        ONE_SIGNED,
        /** Cauchy: occasional values 1000s of times the rest. */
        HEAVY_TAILED,
        ZERO,
        CONSTANT,
        /** Gaussian with one value 2^13 .. 2^20 times larger somewhere in the row. */
        OUTLIER,
        /** {-1, 0, 1} times the row scale, as BitNet weights are. */
        TERNARY,
        /** Each 32 values from another distribution (K-quant sub-blocks that differ wildly). */
        MIXED_BLOCKS,
        /** Magnitudes 2^-60 .. 2^-10 per block: F16 subnormals and underflow, K-quants' 1e-15 group threshold. */
        TINY,
        /** Float subnormals (scales whose inverse is infinite). */
        SUBNORMAL,
        /** Blocks whose largest value puts a stored F16 scale on an F16 rounding or overflow boundary. */
        F16_LIMITS,
        /** -0.0 in all-(-0) blocks, mixed with +0, beside tiny negatives, and scattered. */
        NEGATIVE_ZERO,
        /**
         * Infinities, NaN, ±MAX_VALUE and 1e30 among Gaussian values; whole blocks of them too. NaNs carry only
         * the default payload (0x7FC00000 and 0xFFC00000): which payload survives an operation on two NaNs is
         * left open by IEEE 754 and differs between HotSpot's interpreter and JIT, and nearest_int reads the
         * bits. Quantization documents that it emulates x86-64's C behaviour for these.
         */
        NON_FINITE;

        private static final Distribution[] FINITE_BLOCK_KINDS = {GAUSSIAN, UNIFORM, ONE_SIGNED, HEAVY_TAILED, ZERO,
            CONSTANT, OUTLIER, TERNARY, TINY, SUBNORMAL, F16_LIMITS, NEGATIVE_ZERO};

        /** F16 values around which rounding or overflow happens; stored scales are pushed onto them. */
        private static final float[] F16_BOUNDARIES = {65504f, 65520f, Math.nextDown(65520f), 65536f, 0x1p-14f,
            0x1p-14f - 0x1p-25f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 1 + 0x1p-11f, 1 + 0x3p-11f, 2049f, 0.1f, 1f};

        /**
         * Roughly how a block's largest value relates to its stored F16 scale: 2^(bits-1) and 2^bits - 1 of the
         * 32-value formats, 127 (Q8), and for the K-quants, whose scale of scales divides once more, 15*63, 31*63
         * and 32*128.
         */
        private static final int[] SCALE_DIVISORS = {1, 7, 8, 15, 16, 31, 63, 127, 128, 945, 1953, 4096};

        void fill(SplittableRandom r, float[] x, int from, int n, int blockSize) {
            float scale = (float) Math.pow(2, r.nextDouble(-8, 8));
            switch (this) {
                case GAUSSIAN -> {
                    for (int i = 0; i < n; i++) {
                        x[from + i] = (float) (r.nextGaussian() * scale);
                    }
                }
                case UNIFORM -> {
                    for (int i = 0; i < n; i++) {
                        x[from + i] = (float) (r.nextDouble(-1, 1) * scale);
                    }
                }
                case ONE_SIGNED -> {
                    float sign = r.nextBoolean() ? 1 : -1;
                    for (int i = 0; i < n; i++) {
                        x[from + i] = sign * (float) (r.nextDouble(0.25, 1) * scale);
                    }
                }
                case HEAVY_TAILED -> {
                    for (int i = 0; i < n; i++) {
                        x[from + i] = (float) (Math.tan(Math.PI * (r.nextDouble() - 0.5)) * scale);
                    }
                }
                case ZERO -> Arrays.fill(x, from, from + n, 0f);
                case CONSTANT -> Arrays.fill(x, from, from + n, r.nextBoolean() ? scale : -scale);
                case OUTLIER -> {
                    GAUSSIAN.fill(r, x, from, n, blockSize);
                    float big = (float) (scale * Math.pow(2, r.nextDouble(13, 20)));
                    x[from + r.nextInt(n)] = r.nextBoolean() ? big : -big;
                }
                case TERNARY -> {
                    for (int i = 0; i < n; i++) {
                        x[from + i] = (r.nextInt(3) - 1) * scale;
                    }
                }
                case MIXED_BLOCKS -> {
                    for (int at = 0; at < n; at += 32) {
                        Distribution kind = FINITE_BLOCK_KINDS[r.nextInt(FINITE_BLOCK_KINDS.length)];
                        kind.fill(r, x, from + at, Math.min(32, n - at), blockSize);
                    }
                }
                case TINY -> {
                    for (int at = 0; at < n; at += 32) {
                        double magnitude = Math.pow(2, r.nextInt(-60, -9));
                        for (int i = at; i < Math.min(n, at + 32); i++) {
                            x[from + i] = (float) (r.nextGaussian() * magnitude);
                        }
                    }
                }
                case SUBNORMAL -> {
                    for (int i = 0; i < n; i++) {
                        float v = switch (r.nextInt(4)) {
                            case 0 -> Float.MIN_VALUE * r.nextInt(1, 16);
                            case 1 -> Float.MIN_VALUE * r.nextInt(1, 1 << 23);
                            case 2 -> Float.MIN_NORMAL;
                            default -> 0f;
                        };
                        x[from + i] = r.nextBoolean() ? v : -v;
                    }
                }
                case F16_LIMITS -> {
                    int group = Math.max(blockSize, 32);
                    for (int at = 0; at < n; at += group) {
                        int len = Math.min(group, n - at);
                        float boundary = F16_BOUNDARIES[r.nextInt(F16_BOUNDARIES.length)];
                        int divisor = blockSize == 1 ? 1 : SCALE_DIVISORS[r.nextInt(SCALE_DIVISORS.length)];
                        float max = boundary * divisor;
                        for (int ulps = r.nextInt(-2, 3); ulps != 0; ulps -= Integer.signum(ulps)) {
                            max = ulps > 0 ? Math.nextUp(max) : Math.nextDown(max);
                        }
                        for (int i = 0; i < len; i++) {
                            float v = blockSize == 1 ? max : (float) (r.nextGaussian() * max / 3);
                            x[from + at + i] = Math.max(-max, Math.min(max, v));
                        }
                        x[from + at + r.nextInt(len)] = r.nextBoolean() ? max : -max;
                    }
                }
                case NEGATIVE_ZERO -> {
                    for (int at = 0; at < n; at += 32) {
                        int pattern = r.nextInt(4);
                        for (int i = at; i < Math.min(n, at + 32); i++) {
                            x[from + i] = switch (pattern) {
                                case 0 -> -0.0f;
                                case 1 -> r.nextBoolean() ? -0.0f : 0.0f;
                                case 2 -> r.nextInt(8) == 0 ? -Float.MIN_VALUE * r.nextInt(1, 100) : -0.0f;
                                default -> r.nextInt(4) == 0 ? -0.0f : (float) (r.nextGaussian() * scale);
                            };
                        }
                    }
                }
                case NON_FINITE -> {
                    GAUSSIAN.fill(r, x, from, n, blockSize);
                    float[] specials = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                        Float.intBitsToFloat(0xFFC0_0000), Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f};
                    int group = Math.max(blockSize, 32);
                    for (int at = 0; at < n; at += group) {
                        int len = Math.min(group, n - at);
                        if (r.nextInt(8) == 0) { // a whole block of one special value
                            Arrays.fill(x, from + at, from + at + len, specials[r.nextInt(specials.length)]);
                        } else {
                            for (int k = r.nextInt(4); k > 0; k--) {
                                x[from + at + r.nextInt(len)] = specials[r.nextInt(specials.length)];
                            }
                        }
                    }
                }
                default -> throw new AssertionError(this);
            }
        }
    }

    /** Rows of every distribution at one row length, and llama.cpp's blocks for them. */
    private record Corpus(float[] values, List<String> labels, byte[] llamaBytes) {}

    private static Corpus corpus(Target target, int rowLength) {
        return CORPORA.computeIfAbsent(target + "/" + rowLength, key -> {
            int rowsEach = (rowLength >= 4096 ? 2 : rowLength >= 256 ? 4 : 12) * REPEAT;
            SplittableRandom r = new SplittableRandom(seedFor(target, rowLength));
            Distribution[] kinds = Distribution.values();
            float[] values = new float[kinds.length * rowsEach * rowLength];
            List<String> labels = new ArrayList<>();
            int row = 0;
            for (Distribution kind : kinds) {
                for (int k = 0; k < rowsEach; k++, row++) {
                    kind.fill(r, values, row * rowLength, rowLength, target.format.blockSize());
                    labels.add(kind.name());
                }
            }
            byte[] llama = peer.quants(floatsToBytes(values), "quantize", target.ggml, Integer.toString(rowLength));
            return new Corpus(values, List.copyOf(labels), llama);
        });
    }

    private static long seedFor(Target target, int rowLength) {
        long z = SEED ^ (target.ordinal() * 0x9E37_79B9_7F4A_7C15L) ^ ((long) rowLength << 32);
        return new SplittableRandom(z).nextLong();
    }

    // ---------------------------------------------------------------------------------------------------------
    // comparisons

    private static byte[] quantizeJava(BlockFormat format, float[] values, int rowLength) {
        byte[] out = new byte[(int) Quantization.tensorBytes(format, values.length / rowLength, rowLength)];
        Quantization.quantize(format, values, rowLength, MemorySegment.ofArray(out));
        return out;
    }

    /** Null if equal; otherwise where and how the first differing block differs, with its input values. */
    private static String compareBlocks(Target target, int rowLength, float[] values, IntFunction<String> rowLabel,
            byte[] llama, byte[] ours) {
        BlockFormat format = target.format;
        int blockBytes = format.blockBytes();
        int blocksPerRow = rowLength / format.blockSize();
        if (llama.length != ours.length) {
            return "row length " + rowLength + ": llama.cpp wrote " + llama.length + " bytes, EdgeLM " + ours.length;
        }
        int first = -1;
        int count = 0;
        Map<String, Integer> byLabel = new TreeMap<>();
        for (int block = 0; block < llama.length / blockBytes; block++) {
            int at = block * blockBytes;
            if (!Arrays.equals(llama, at, at + blockBytes, ours, at, at + blockBytes)) {
                first = first < 0 ? block : first;
                count++;
                byLabel.merge(rowLabel.apply(block / blocksPerRow), 1, Integer::sum);
            }
        }
        if (first < 0) {
            return null;
        }
        int at = first * blockBytes;
        int offset = Arrays.mismatch(llama, at, at + blockBytes, ours, at, at + blockBytes);
        int row = first / blocksPerRow;
        int valueAt = first * format.blockSize();
        StringBuilder s = new StringBuilder();
        s.append(String.format("QUANTIZE %s, row length %d: %d of %d blocks differ %s%n", target.ggml, rowLength,
                count, llama.length / blockBytes, byLabel));
        s.append(String.format("first: block %d (row %d [%s], block %d of the row), byte offset %d of %d%n", first,
                row, rowLabel.apply(row), first % blocksPerRow, offset, blockBytes));
        s.append(hexPair(llama, ours, at, blockBytes));
        s.append("input values of that block (float, raw bits):\n");
        s.append(floatsWithBits(values, valueAt, format.blockSize()));
        return s.toString();
    }

    /** Null if Java's dequantization of {@code blocks} equals llama.cpp's bit for bit; otherwise the details. */
    private static String compareDequantized(Target target, int rowLength, byte[] blocks, IntFunction<String> rowLabel) {
        int rows = (int) (blocks.length / target.format.rowBytes(rowLength));
        float[] ours = Quantization.dequantize(target.format, MemorySegment.ofArray(blocks), rows, rowLength);
        int[] oursBits = new int[ours.length];
        for (int i = 0; i < ours.length; i++) {
            oursBits[i] = Float.floatToRawIntBits(ours[i]);
        }
        return compareDequantized(target, rowLength, blocks, rowLabel, llamaDequantize(target, rowLength, blocks),
                oursBits, "EdgeLM");
    }

    private static int[] llamaDequantize(Target target, int rowLength, byte[] blocks) {
        return bytesToInts(peer.quants(blocks, "dequantize", target.ggml, Integer.toString(rowLength)));
    }

    private static String compareDequantized(Target target, int rowLength, byte[] blocks, IntFunction<String> rowLabel,
            int[] expected, int[] actual, String who) {
        BlockFormat format = target.format;
        if (expected.length != actual.length) {
            return "row length " + rowLength + ": llama.cpp gave " + expected.length + " values, " + who + " "
                    + actual.length;
        }
        int first = -1;
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                first = first < 0 ? i : first;
                count++;
            }
        }
        if (first < 0) {
            return null;
        }
        int block = first / format.blockSize();
        int row = first / rowLength;
        int e = expected[first];
        int a = actual[first];
        return String.format("DEQUANTIZE %s (%s), row length %d: %d of %d values differ%n"
                        + "first: value %d (row %d [%s], block %d of the row, index %d in the block):"
                        + " llama.cpp %s (0x%08x), %s %s (0x%08x)%nthe block's bytes:%n%s",
                target.ggml, who, rowLength, count, expected.length, first, row, rowLabel.apply(row),
                block % (rowLength / format.blockSize()), first % format.blockSize(), Float.intBitsToFloat(e), e,
                who, Float.intBitsToFloat(a), a,
                hexLines(blocks, block * format.blockBytes(), format.blockBytes(), "          "));
    }

    /** Fails with every mismatch found, the llama.cpp version and the seed that reproduces them. */
    private static void assertAllMatch(Target target, List<String> failures) {
        if (!failures.isEmpty()) {
            fail(target + " differs from llama.cpp " + peerVersion + " (seed " + SEED
                    + "; reproduce with -Dedgelm.conformance.seed=" + SEED + ")\n" + String.join("\n", failures));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // bytes

    private static byte[] floatsToBytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putInt(Float.floatToRawIntBits(v)); // raw: NaN payloads go to llama.cpp unchanged
        }
        return b.array();
    }

    private static int[] bytesToInts(byte[] bytes) {
        int[] out = new int[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }

    private static String hexPair(byte[] llama, byte[] ours, int at, int len) {
        StringBuilder s = new StringBuilder();
        HexFormat hex = HexFormat.ofDelimiter(" ");
        for (int line = 0; line < len; line += 32) {
            int end = Math.min(len, line + 32);
            s.append(String.format("  +%03d llama.cpp %s%n", line, hex.formatHex(llama, at + line, at + end)));
            s.append(String.format("       EdgeLM    %s%n", hex.formatHex(ours, at + line, at + end)));
        }
        return s.toString();
    }

    private static String hexLines(byte[] bytes, int at, int len, String indent) {
        StringBuilder s = new StringBuilder();
        HexFormat hex = HexFormat.ofDelimiter(" ");
        for (int line = 0; line < len; line += 32) {
            s.append(String.format("%s+%03d %s%n", indent, line, hex.formatHex(bytes, at + line, at + Math.min(len, line + 32))));
        }
        return s.toString();
    }

    private static String floatsWithBits(float[] values, int from, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            float v = values[from + i];
            s.append(i % 8 == 0 ? "  " : " ").append(v).append(String.format(" (0x%08x)", Float.floatToRawIntBits(v)));
            if (i % 8 == 7 || i == n - 1) {
                s.append('\n');
            }
        }
        return s.toString();
    }

    /** A growable float array. */
    private static final class FloatList {
        private float[] values = new float[1024];
        private int size;

        void add(float v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, 2 * size);
            }
            values[size++] = v;
        }

        /** The values, padded with zeros to a whole number of rows. */
        float[] padTo(int rowLength) {
            return Arrays.copyOf(values, (size + rowLength - 1) / rowLength * rowLength);
        }
    }
}
