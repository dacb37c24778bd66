package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FL;
import static dev.edgelm.kernels.VectorKernels.FLOATS;
import static dev.edgelm.kernels.VectorKernels.FLOAT_INTS;
import static dev.edgelm.kernels.VectorKernels.GROUP;
import static dev.edgelm.kernels.VectorKernels.FLOAT_SHORTS;
import static dev.edgelm.kernels.VectorKernels.SHORTS;
import static dev.edgelm.kernels.VectorKernels.SL;
import static dev.edgelm.kernels.VectorKernels.SUPER;
import static dev.edgelm.kernels.VectorKernels.bytesAsShorts;
import static dev.edgelm.kernels.VectorKernels.f16;
import static dev.edgelm.kernels.VectorKernels.highNibbles;
import static dev.edgelm.kernels.VectorKernels.lowNibbles;

import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.kernels.quant.KQuantScales;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector decoders of weight rows: the integer formats into {@link DecodedRow} codes, one decoder per format at
 * the integer pipeline's width ({@link VectorKernels#SHORTS}), each the vector form of the format's reference
 * codec; and F32, F16 and BF16 rows into floats. Weight bytes are loaded
 * {@link VectorKernels#SL} at a time, sign-extended to 16-bit lanes; the masks below only ever keep bits of the
 * original byte.
 */
final class VectorDecoders {

    /** Lane k holds bit k: ANDed with a broadcast 16-bit word, it keeps each lane's own bit of the word. */
    private static final ShortVector LANE_BITS = laneBits();
    /** TQ1_0's first two byte groups: first value and bytes (= the stride between a byte's trits). */
    private static final int[][] TQ1_GROUPS = {{0, 32}, {160, 16}};
    private static final int[] POW3 = {1, 3, 9, 27, 81};

    private VectorDecoders() {}

    private static ShortVector laneBits() {
        short[] bits = new short[SL];
        for (int k = 0; k < SL; k++) {
            bits[k] = (short) (1 << k);
        }
        return ShortVector.fromArray(SHORTS, bits, 0);
    }

    /** Decodes row {@code row} of integer-format matrix {@code w} into {@code out} (ready for {@code w}). */
    static void decode(WeightMatrix w, int row, DecodedRow out) {
        MemorySegment m = w.data();
        BlockFormat format = w.format();
        long start = row * w.rowBytes();
        int blocks = w.cols() / format.blockSize();
        long size = format.blockBytes();
        float tensorScale = w.tensorScale();
        // One switch per block: predictable, and it keeps each decoder a small method of its own.
        for (int b = 0; b < blocks; b++) {
            long at = start + b * size;
            switch (format) {
                case Q8_0 -> q8_0(m, at, b, out);
                case Q4_0, Q4_1, Q5_0, Q5_1 -> legacy(format, m, at, b, out);
                case Q4_K, Q5_K -> kQuant(format == BlockFormat.Q5_K, m, at, b, out);
                case Q6_K -> q6K(m, at, b, out);
                case TQ1_0 -> tq1(m, at, b, out);
                case TQ2_0 -> tq2(m, at, b, out);
                case I2_S -> i2s(m, at, b, tensorScale, out);
                default -> throw new IllegalArgumentException(format + " is not an integer weight format");
            }
        }
    }

    private static void q8_0(MemorySegment m, long at, int b, DecodedRow out) {
        out.scales[b] = f16(m, at);
        for (int i = 0; i < GROUP; i += SL) {
            bytesAsShorts(m, at + 2 + i).intoArray(out.codes, b * GROUP + i);
        }
    }

    /**
     * Q4_0, Q4_1, Q5_0, Q5_1: value j in the low nibble of byte j, j + 16 in the high one, the 5-bit formats'
     * fifth bits in a 32-bit word (bit j for value j), codes stored as q + 8 (Q4_0) or q + 16 (Q5_0).
     */
    private static void legacy(BlockFormat format, MemorySegment m, long at, int b, DecodedRow out) {
        boolean affine = format == BlockFormat.Q4_1 || format == BlockFormat.Q5_1;
        boolean five = format == BlockFormat.Q5_0 || format == BlockFormat.Q5_1;
        long nibbles = at + (affine ? 4 : 2) + (five ? 4 : 0);
        int highBits = five ? m.get(VectorKernels.INT, nibbles - 4) : 0;
        short zero = (short) (affine ? 0 : five ? 16 : 8);
        for (int i = 0; i < GROUP / 2; i += SL) {
            ShortVector q = bytesAsShorts(m, nibbles + i);
            ShortVector low = lowNibbles(q);
            ShortVector high = highNibbles(q);
            if (five) {
                low = bitsOf(highBits >>> i).or(low);
                high = bitsOf(highBits >>> (GROUP / 2 + i)).or(high);
            }
            low.sub(zero).intoArray(out.codes, b * GROUP + i);
            high.sub(zero).intoArray(out.codes, b * GROUP + GROUP / 2 + i);
        }
        out.scales[b] = f16(m, at);
        if (affine) {
            out.mins[b] = -f16(m, at + 2); // value = d q + m
        }
    }

    /** 16 in lane k if bit k of {@code word} is set, else 0 (fifth bits). */
    private static ShortVector bitsOf(int word) {
        return ShortVector.broadcast(SHORTS, (short) word).and(LANE_BITS).lanewise(VectorOperators.UMIN, (short) 1)
                .lanewise(VectorOperators.LSHL, 4);
    }

    /**
     * Q4_K and Q5_K: chunk c of 32 bytes holds sub-block 2c in its low nibbles and 2c + 1 in its high ones; Q5_K
     * adds fifth bits, bit 2c (low) and 2c + 1 (high) of byte l of its 32 high-bit bytes for value l.
     */
    private static void kQuant(boolean five, MemorySegment m, long at, int b, DecodedRow out) {
        long scaleBytes = KQuantScales.scales(m, at + KQuantScales.OFFSET);
        long minBytes = KQuantScales.mins(m, at + KQuantScales.OFFSET);
        float d = f16(m, at);
        float dmin = f16(m, at + 2);
        for (int j = 0; j < 8; j++) {
            out.scales[8 * b + j] = d * (int) (scaleBytes >>> (8 * j) & 0xFF);
            out.mins[8 * b + j] = dmin * (int) (minBytes >>> (8 * j) & 0xFF);
        }
        // Two loops rather than one with a fifth-bit vector that is null for Q4_K: C2 (JDK 25.0.3) crashed in
        // register allocation compiling that form (an on-stack-replacement compile, in a CI run).
        if (five) {
            q5KCodes(m, at, b, out);
        } else {
            q4KCodes(m, at, b, out);
        }
    }

    /** Q4_K's nibbles: chunk c holds sub-block 2c in its low nibbles and 2c + 1 in its high ones. */
    private static void q4KCodes(MemorySegment m, long at, int b, DecodedRow out) {
        for (int i = 0; i < 32; i += SL) {
            for (int chunk = 0; chunk < 4; chunk++) {
                ShortVector q = bytesAsShorts(m, at + 16 + 32 * chunk + i);
                lowNibbles(q).intoArray(out.codes, b * SUPER + 64 * chunk + i);
                highNibbles(q).intoArray(out.codes, b * SUPER + 64 * chunk + 32 + i);
            }
        }
    }

    /** Q5_K: Q4_K's nibbles with a fifth bit each from the 32 bytes before them (bit 2c and 2c + 1 for chunk c). */
    private static void q5KCodes(MemorySegment m, long at, int b, DecodedRow out) {
        for (int i = 0; i < 32; i += SL) {
            ShortVector h = bytesAsShorts(m, at + 16 + i);
            for (int chunk = 0; chunk < 4; chunk++) {
                ShortVector q = bytesAsShorts(m, at + 48 + 32 * chunk + i);
                lowNibbles(q).or(bitTo4(h, 2 * chunk)).intoArray(out.codes, b * SUPER + 64 * chunk + i);
                highNibbles(q).or(bitTo4(h, 2 * chunk + 1))
                        .intoArray(out.codes, b * SUPER + 64 * chunk + 32 + i);
            }
        }
    }

    /** Bit {@code bit} (below 8) of each lane, moved to bit 4. */
    private static ShortVector bitTo4(ShortVector h, int bit) {
        return h.lanewise(VectorOperators.LSHR, bit).and((short) 1).lanewise(VectorOperators.LSHL, 4);
    }

    /**
     * Q6_K: per half of 128 values, 64 low-nibble bytes and 32 bytes of 2-bit high parts; value l + 32n of the
     * half takes nibble (n &gt;= 2 ? high : low) of byte l + 32 (n % 2) and bits 2n..2n+1 of high byte l; codes
     * q - 32, one int8 scale per 16 values times the F16 d at byte 208.
     */
    private static void q6K(MemorySegment m, long at, int b, DecodedRow out) {
        float d = f16(m, at + 208);
        for (int j = 0; j < 16; j++) {
            out.scales[16 * b + j] = d * m.get(ValueLayout.JAVA_BYTE, at + 192 + j);
        }
        short[] codes = out.codes;
        for (int half = 0; half < 2; half++) {
            long low = at + 64 * half;
            long high = at + 128 + 32 * half;
            int first = SUPER * b + 128 * half;
            for (int l = 0; l < 32; l += SL) {
                ShortVector lowA = bytesAsShorts(m, low + l);
                ShortVector lowB = bytesAsShorts(m, low + 32 + l);
                ShortVector h = bytesAsShorts(m, high + l);
                lowNibbles(lowA).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 0x30)).sub((short) 32)
                        .intoArray(codes, first + l);
                lowNibbles(lowB).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 0x30)).sub((short) 32)
                        .intoArray(codes, first + 32 + l);
                highNibbles(lowA).or(h.and((short) 0x30)).sub((short) 32).intoArray(codes, first + 64 + l);
                highNibbles(lowB).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x30)).sub((short) 32)
                        .intoArray(codes, first + 96 + l);
            }
        }
    }

    /**
     * TQ1_0: base-3 trits extracted by multiplication (see the codec): trit n of byte q is
     * {@code ((q * 3^n mod 256) * 3) >> 8}, all within 16 bits. The last 4 bytes (16 values) go scalar.
     */
    private static void tq1(MemorySegment m, long at, int b, DecodedRow out) {
        short[] codes = out.codes;
        long bytes = at;
        for (int[] group : TQ1_GROUPS) {
            int first = SUPER * b + group[0];
            int stride = group[1];
            for (int i = 0; i < stride; i += SL) {
                ShortVector q = bytesAsShorts(m, bytes + i).and((short) 0xFF);
                for (int n = 0; n < POW3.length; n++) {
                    q.mul((short) POW3[n]).and((short) 0xFF).mul((short) 3).lanewise(VectorOperators.LSHR, 8)
                            .sub((short) 1).intoArray(codes, first + n * stride + i);
                }
            }
            bytes += stride;
        }
        for (int n = 0; n < 4; n++) {
            for (int i = 0; i < 4; i++) {
                int q = ((m.get(ValueLayout.JAVA_BYTE, bytes + i) & 0xFF) * POW3[n]) & 0xFF;
                codes[SUPER * b + 240 + 4 * n + i] = (short) (((q * 3) >> 8) - 1);
            }
        }
        Arrays.fill(out.scales, 8 * b, 8 * b + 8, f16(m, at + 52));
    }

    /** TQ2_0: value 32n + l of each half of 128 in bits 2n..2n+1 of byte l, stored as t + 1. */
    private static void tq2(MemorySegment m, long at, int b, DecodedRow out) {
        Arrays.fill(out.scales, 8 * b, 8 * b + 8, f16(m, at + 64));
        for (int half = 0; half < 2; half++) {
            for (int i = 0; i < 32; i += SL) {
                ShortVector q = bytesAsShorts(m, at + 32 * half + i);
                for (int n = 0; n < 4; n++) {
                    q.lanewise(VectorOperators.LSHR, 2 * n).and((short) 3).sub((short) 1)
                            .intoArray(out.codes, b * SUPER + 128 * half + 32 * n + i);
                }
            }
        }
    }

    /**
     * I2_S: value 32g + i of a 128-value block is the 2-bit code at shift 6 - 2g of byte i; codes 0, 1, 2 mean
     * -1, 0, 1 and 3 means 0, which is {@code min(c - 1, 3 - c)}.
     */
    private static void i2s(MemorySegment m, long at, int b, float tensorScale, DecodedRow out) {
        ShortVector three = ShortVector.broadcast(SHORTS, (short) 3);
        for (int i = 0; i < 32; i += SL) {
            ShortVector q = bytesAsShorts(m, at + i);
            for (int g = 0; g < 4; g++) {
                ShortVector c = q.lanewise(VectorOperators.LSHR, 6 - 2 * g).and((short) 3);
                c.sub((short) 1).min(three.sub(c)).intoArray(out.codes, 128 * b + 32 * g + i);
            }
        }
        Arrays.fill(out.scales, 4 * b, 4 * b + 4, tensorScale);
    }

    /**
     * Row {@code row} of {@code w}, any format, as the floats its blocks stand for (scale times code minus
     * minimum) into {@code out[offset ..]}; {@code scratch} (ready for {@code w}) holds the integer codes between.
     */
    static void decodeToFloats(WeightMatrix w, int row, DecodedRow scratch, float[] out, int offset) {
        if (scratch.floats) {
            decodeFloats(w, row, out, offset);
            return;
        }
        decode(w, row, scratch);
        short[] codes = scratch.codes;
        int group = 1 << scratch.groupShift;
        for (int g = 0; g < scratch.groups; g++) {
            FloatVector scale = FloatVector.broadcast(FLOATS, scratch.scales[g]);
            FloatVector negatedMin = FloatVector.broadcast(FLOATS, scratch.withMins ? -scratch.mins[g] : 0f);
            for (int i = g * group; i < (g + 1) * group; i += FL) {
                // A whole vector of 16-bit lanes, of which the lower half are converted: the array has room past the
                // row's codes (DecodedRow), and a half-width vector of shorts would be a second shape of the lane.
                ((FloatVector) ShortVector.fromArray(FLOAT_SHORTS, codes, i)
                        .convertShape(VectorOperators.S2F, FLOATS, 0))
                        .fma(scale, negatedMin).intoArray(out, offset + i);
            }
        }
    }

    // ---- float formats

    /** Row {@code row} of an F32, F16 or BF16 matrix, widened to floats into {@code out[offset ..]}. */
    static void decodeFloats(WeightMatrix w, int row, float[] out, int offset) {
        BlockFormat format = w.format();
        MemorySegment m = w.data();
        long at = row * w.rowBytes();
        int width = format.blockBytes();
        int n = w.cols();
        if (format == BlockFormat.F16) {
            // C2 compiles this loop to the hardware's vector half-to-float conversion (F16C, NEON's fcvtl),
            // which the Vector API cannot reach: faster than widening by bit arithmetic.
            for (int i = 0; i < n; i++) {
                out[offset + i] = f16(m, at + 2L * i);
            }
            return;
        }
        int i = 0;
        for (int bound = vectorBound(format, m, at, n); i < bound; i += FL) {
            floats(format, m, at + (long) i * width).intoArray(out, offset + i);
        }
        for (; i < n; i++) {
            out[offset + i] = floatAt(format, m, at + (long) i * width);
        }
    }

    /** {@code sum row[i] * x[base + i]} for an F32, F16 or BF16 row at byte {@code at}, read in place. */
    static float dotFloats(BlockFormat format, MemorySegment m, long at, float[] x, int base, int n) {
        int width = format.blockBytes();
        FloatVector acc = FloatVector.zero(FLOATS);
        int i = 0;
        for (int bound = vectorBound(format, m, at, n); i < bound; i += FL) {
            // The activations are fma's receiver, the widened row values its operand (VectorKernels: a converted
            // vector is never a receiver).
            acc = FloatVector.fromArray(FLOATS, x, base + i).fma(floats(format, m, at + (long) i * width), acc);
        }
        float tail = 0;
        for (; i < n; i++) {
            tail += floatAt(format, m, at + (long) i * width) * x[base + i];
        }
        return VectorKernels.sum(acc) + tail;
    }

    /**
     * How many of the n values at byte {@code at} {@link #floats} reads a vector at a time: whole vectors, and for
     * F16 and BF16, whose loads take a vector of {@link VectorKernels#FLOAT_SHORTS} (2 FL values, the lower half
     * used), only as far as such a load stays inside {@code m}: every value but the last FL of the matrix.
     */
    private static int vectorBound(BlockFormat format, MemorySegment m, long at, int n) {
        int bound = FLOATS.loopBound(n);
        if (format == BlockFormat.F32) {
            return bound;
        }
        long loadable = (m.byteSize() - at) / 2 - FL;
        return loadable >= bound ? bound : FLOATS.loopBound((int) Math.max(0, loadable));
    }

    /**
     * {@link VectorKernels#FL} F32, F16 or BF16 values at byte {@code at}, as floats (the switch is loop-invariant).
     * F16 and BF16 values come from the lower half of a vector of {@link VectorKernels#FLOAT_SHORTS}: a half-width
     * vector of shorts would be a second shape of the lane (VectorKernels).
     */
    private static FloatVector floats(BlockFormat format, MemorySegment m, long at) {
        return switch (format) {
            case F32 -> FloatVector.fromMemorySegment(FLOATS, m, at, ByteOrder.LITTLE_ENDIAN);
            case F16 -> VectorKernels.halvesToFloats(
                    ShortVector.fromMemorySegment(FLOAT_SHORTS, m, at, ByteOrder.LITTLE_ENDIAN));
            case BF16 -> (FloatVector) ((IntVector) ShortVector.fromMemorySegment(FLOAT_SHORTS, m, at,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, FLOAT_INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretShape(FLOATS, 0);
            default -> throw new AssertionError(format);
        };
    }

    private static float floatAt(BlockFormat format, MemorySegment m, long at) {
        return switch (format) {
            case F32 -> m.get(VectorKernels.F32, at);
            case F16 -> f16(m, at);
            case BF16 -> Float.intBitsToFloat((m.get(VectorKernels.F16, at) & 0xFFFF) << 16);
            default -> throw new AssertionError(format);
        };
    }
}
