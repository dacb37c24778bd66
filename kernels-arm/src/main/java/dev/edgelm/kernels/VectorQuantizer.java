package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FL;
import static dev.edgelm.kernels.VectorKernels.FLOATS;
import static dev.edgelm.kernels.VectorKernels.FLOAT_INTS;
import static dev.edgelm.kernels.VectorKernels.HALF_SHORTS;

import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.HalfFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector forms of {@link ActivationQuantizer}, producing the same codes and scales bit for bit. Blocks holding a
 * NaN or an infinity, or whose inverse scale overflows (subnormal maxima), go to the scalar quantizer: its C conversion semantics
 * for those values (and its NaN-ordering rules for the maximum) have no cheap vector equivalent.
 */
final class VectorQuantizer {

    /** 1.5 * 2^23: adding it rounds a float below 2^22 in magnitude to an integer, ties to even (nearest_int). */
    private static final float MAGIC_ROUND = 12582912f;

    private VectorQuantizer() {}

    /** As {@link ActivationQuantizer#quantizeQ8_0}. */
    static float quantizeQ8_0(float[] x, int offset, short[] codes, int codesOffset) {
        int n = ActivationQuantizer.Q8_0_BLOCK;
        float amax = maxAbs(x, offset, n);
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (!Float.isFinite(amax) || !Float.isFinite(id)) {
            return ActivationQuantizer.quantizeQ8_0(x, offset, codes, codesOffset);
        }
        for (int i = 0; i < n; i += FL) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, offset + i).mul(id);
            // roundf: truncate the magnitude, add one if the dropped fraction is at least a half (both exact).
            FloatVector a = v.abs();
            IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
            VectorMask<Integer> up = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0))
                    .compare(VectorOperators.GE, 0.5f).cast(FLOAT_INTS);
            VectorMask<Integer> negative = v.compare(VectorOperators.LT, 0f).cast(FLOAT_INTS);
            t = t.add(1, up);
            store(t.lanewise(VectorOperators.NEG, negative), codes, codesOffset + i);
        }
        return HalfFloats.fromF16(HalfFloats.toF16(d));
    }

    /** As {@link ActivationQuantizer#quantizeQ8K}. */
    static float quantizeQ8K(float[] x, int offset, short[] codes, int codesOffset) {
        int n = ActivationQuantizer.Q8_K_BLOCK;
        float amax = maxAbs(x, offset, n);
        if (!Float.isFinite(amax) || amax == 0) {
            return ActivationQuantizer.quantizeQ8K(x, offset, codes, codesOffset);
        }
        float iscale = -127.f / firstOfMagnitude(x, offset, n, amax);
        if (!Float.isFinite(iscale)) {
            return ActivationQuantizer.quantizeQ8K(x, offset, codes, codesOffset);
        }
        for (int i = 0; i < n; i += FL) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, offset + i).mul(iscale).add(MAGIC_ROUND);
            IntVector q = v.reinterpretAsInts().and(0x007F_FFFF).sub(0x0040_0000).min(127);
            store(q, codes, codesOffset + i);
        }
        return 1 / iscale;
    }

    /** The largest magnitude among n values (a multiple of {@link VectorKernels#FL}); NaN if any is NaN. */
    private static float maxAbs(float[] x, int offset, int n) {
        FloatVector max = FloatVector.zero(FLOATS);
        for (int i = 0; i < n; i += FL) {
            max = max.max(FloatVector.fromArray(FLOATS, x, offset + i).abs()); // max propagates NaN
        }
        return max.reduceLanes(VectorOperators.MAX); // exact in any order
    }

    /** The first value whose magnitude is {@code amax}, with its sign. */
    private static float firstOfMagnitude(float[] x, int offset, int n, float amax) {
        for (int i = 0; ; i += FL) {
            VectorMask<Float> hit = FloatVector.fromArray(FLOATS, x, offset + i).abs().compare(VectorOperators.EQ, amax);
            if (hit.anyTrue()) {
                return x[offset + i + hit.firstTrue()];
            }
        }
    }

    /** Codes within int8, narrowed to shorts. */
    private static void store(IntVector codes, short[] out, int at) {
        ((ShortVector) codes.convertShape(VectorOperators.I2S, HALF_SHORTS, 0)).intoArray(out, at);
    }
}
