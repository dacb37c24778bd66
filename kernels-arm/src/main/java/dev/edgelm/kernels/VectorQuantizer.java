package dev.edgelm.kernels;

import static dev.edgelm.kernels.VectorKernels.FL;
import static dev.edgelm.kernels.VectorKernels.FLOATS;
import static dev.edgelm.kernels.VectorKernels.FLOAT_INTS;
import static dev.edgelm.kernels.VectorKernels.FLOAT_SHORTS;

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
        for (int i = 0; i < n; i += 2 * FL) {
            store(rounded(FloatVector.fromArray(FLOATS, x, offset + i).mul(id)),
                    rounded(FloatVector.fromArray(FLOATS, x, offset + i + FL).mul(id)), codes, codesOffset + i);
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
        for (int i = 0; i < n; i += 2 * FL) {
            store(roundedQ8K(FloatVector.fromArray(FLOATS, x, offset + i).mul(iscale)),
                    roundedQ8K(FloatVector.fromArray(FLOATS, x, offset + i + FL).mul(iscale)), codes, codesOffset + i);
        }
        return 1 / iscale;
    }

    /** The largest magnitude among n values (a multiple of {@link VectorKernels#FL}); NaN if any is NaN. */
    private static float maxAbs(float[] x, int offset, int n) {
        FloatVector max = FloatVector.zero(FLOATS);
        for (int i = 0; i < n; i += FL) {
            max = FloatVector.fromArray(FLOATS, x, offset + i).abs().max(max); // max propagates NaN
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

    /** C's roundf of each lane of {@code v}: truncate the magnitude, add one if the dropped fraction is at least a
     * half (both exact), give back the sign. */
    private static IntVector rounded(FloatVector v) {
        FloatVector a = v.abs();
        IntVector t = (IntVector) a.convertShape(VectorOperators.F2I, FLOAT_INTS, 0);
        VectorMask<Integer> up = a.sub((FloatVector) t.convertShape(VectorOperators.I2F, FLOATS, 0))
                .compare(VectorOperators.GE, 0.5f).cast(FLOAT_INTS);
        VectorMask<Integer> negative = v.compare(VectorOperators.LT, 0f).cast(FLOAT_INTS);
        return t.add(1, up).lanewise(VectorOperators.NEG, negative);
    }

    /** Q8_K's rounding of scaled values (llama.cpp's nearest_int, through the float magic number), at most 127. */
    private static IntVector roundedQ8K(FloatVector scaled) {
        return ((IntVector) scaled.add(MAGIC_ROUND).reinterpretShape(FLOAT_INTS, 0)).and(0x007F_FFFF)
                .sub(0x0040_0000).min(127);
    }

    /**
     * Two vectors of codes within int8, narrowed to 16-bit lanes of one vector of {@link VectorKernels#FLOAT_SHORTS}
     * ({@code low}'s in its lower half) and stored. Narrowing each to a half-width vector would use a second shape
     * of 16-bit lanes, and the Vector API's shared type profiles then let C2 box other kernels' vectors.
     */
    private static void store(IntVector low, IntVector high, short[] out, int at) {
        ((ShortVector) low.convertShape(VectorOperators.I2S, FLOAT_SHORTS, 0))
                .or((ShortVector) high.convertShape(VectorOperators.I2S, FLOAT_SHORTS, -1)).intoArray(out, at);
    }
}
