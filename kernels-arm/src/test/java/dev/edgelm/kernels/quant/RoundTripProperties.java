package dev.edgelm.kernels.quant;

import static dev.edgelm.kernels.quant.QuantTestSupport.maxAbs;
import static dev.edgelm.kernels.quant.QuantTestSupport.random;
import static dev.edgelm.kernels.quant.QuantTestSupport.replay;
import static dev.edgelm.kernels.quant.QuantTestSupport.seed;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantize-then-dequantize stays close to the input, on seeded random tensors.
 *
 * <p>Each bound is on |x - y| relative to {@code amax}, the largest |x| of the value's block (its 256-value
 * super-block for the K-quants). With {@code u = 2^-11}, F16's relative rounding error:
 * <ul>
 *   <li>Q4_0, Q5_0: d = amax / 2^(b-1); the value opposite the extreme is clamped to the top code, a full step
 *       off, and rounding d to F16 moves code q by at most |q| d u: {@code d (1 + 2^(b-1) u)}.
 *   <li>Q4_1, Q5_1: half a step of d = range / (2^b - 1) &le; 2 amax / (2^b - 1), plus F16 rounding of m (amax u)
 *       and of d (2 amax u): {@code amax (1 / (2^b - 1) + 3u)}.
 *   <li>Q8_0, Q8_1: half a step of amax / 127 plus 127 d u: {@code amax (1/254 + u)}; Q8_K has a float32 scale:
 *       {@code amax / 254} and float rounding.
 *   <li>Q4_K, Q5_K, Q6_K: the searches minimise a weighted squared error, not the maximum, and round their
 *       sub-block scales to 6 or 8 bits, so the bound is 1.25 grid steps: 2 amax / (2^b - 1) for Q4_K and Q5_K
 *       and amax / 32 for Q6_K (worst seen over 30 000 random super-blocks: 0.90, 1.03 and 0.73 steps).
 *   <li>TQ1_0, TQ2_0: values round to {-d, 0, d} with d = F16(amax): {@code amax (1/2 + u)}.
 *   <li>F16 and BF16 are checked per value: {@code max(|x| u, 2^-25)} (F16 subnormals) and {@code |x| 2^-8}.
 * </ul>
 * The data keep every F16 scale in F16's normal range (block maxima from about 0.05 to 3000); tiny scales are
 * covered in {@link ExtremeValuesTest}.
 */
class RoundTripProperties {

    private static final int ROWS = 2;
    private static final int ROW_LENGTH = 512;
    private static final int SEEDS = 24;
    private static final double U = 0x1p-11;
    /** Covers float rounding in the encoders' own arithmetic, far below any quantization step. */
    private static final double SLACK = 1 + 1e-5;

    enum Shape { GAUSSIAN, UNIFORM, OUTLIERS, POSITIVE, MIXED_SUB_BLOCKS }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ1_0", "TQ2_0", "I2_S"}, mode = EnumSource.Mode.EXCLUDE)
    void staysWithinTheFormatsErrorBound(BlockFormat format) {
        int blockSize = format.blockSize() >= 256 ? 256 : 32; // the block amax is measured over
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(100 + s);
            for (Shape shape : Shape.values()) {
                float[] x = generate(shape, random(seed));
                float[] y = roundTrip(format, x);
                for (int i = 0; i < x.length; i++) {
                    double amax = maxAbs(x, i / blockSize * blockSize, blockSize);
                    double bound = bound(format, amax, x[i]) * SLACK;
                    assertThat(Math.abs((double) x[i] - y[i]))
                            .as("%s, %s data, value %d: x = %s, y = %s, block amax %s, %s",
                                    format, shape, i, x[i], y[i], amax, replay(seed))
                            .isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    private static double bound(BlockFormat format, double amax, float x) {
        return switch (format) {
            case F32 -> 0;
            case F16 -> Math.max(Math.abs(x) * U, 0x1p-25);
            case BF16 -> Math.abs(x) * 0x1p-8;
            case Q4_0 -> amax / 8 * (1 + 8 * U);
            case Q5_0 -> amax / 16 * (1 + 16 * U);
            case Q4_1 -> amax * (1.0 / 15 + 3 * U);
            case Q5_1 -> amax * (1.0 / 31 + 3 * U);
            case Q8_0, Q8_1 -> amax * (1.0 / 254 + U);
            case Q8_K -> amax / 254;
            case Q4_K -> 1.25 * 2 * amax / 15;
            case Q5_K -> 1.25 * 2 * amax / 31;
            case Q6_K -> 1.25 * amax / 32;
            case TQ1_0, TQ2_0, I2_S -> throw new IllegalArgumentException(format + " is tested separately");
        };
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ1_0", "TQ2_0"})
    void ternaryFormatsRoundToTheNearestOfMinusDZeroD(BlockFormat format) {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(200 + s);
            for (Shape shape : Shape.values()) {
                float[] x = generate(shape, random(seed));
                float[] y = roundTrip(format, x);
                for (int block = 0; block < x.length; block += 256) {
                    float amax = maxAbs(x, block, 256);
                    float d = HalfFloats.fromF16(HalfFloats.toF16(amax));
                    for (int i = block; i < block + 256; i++) {
                        assertThat(y[i]).as("%s value %d, %s", format, i, replay(seed)).isIn(-d, 0f, d);
                        assertThat(Math.abs((double) x[i] - y[i]))
                                .as("%s, %s data, value %d: x = %s, y = %s, %s",
                                        format, shape, i, x[i], y[i], replay(seed))
                                .isLessThanOrEqualTo(amax * (0.5 + U) * SLACK);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = BlockFormat.class, names = {"TQ1_0", "TQ2_0", "I2_S"})
    void ternaryWeightsComeBackExactly(BlockFormat format) {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(300 + s);
            SplittableRandom random = random(seed);
            // TQ scales are F16, so pick one F16 can hold; I2_S's float32 scale takes any.
            float scale = HalfFloats.fromF16(HalfFloats.toF16((float) (0.01 + random.nextDouble())));
            float[] x = new float[ROWS * ROW_LENGTH];
            for (int i = 0; i < x.length; i++) {
                x[i] = (random.nextInt(3) - 1) * scale;
            }
            x[random.nextInt(x.length)] = scale; // every super-block maximum must be the scale
            for (int block = 0; block < x.length; block += 256) {
                x[block + random.nextInt(256)] = -scale;
            }
            assertThat(roundTrip(format, x)).as("%s, %s", format, replay(seed)).containsExactly(x);
        }
    }

    @Test
    void i2_sKeepsSignsAndUsesTheTensorMaximum() {
        for (int s = 0; s < SEEDS; s++) {
            long seed = seed(400 + s);
            for (Shape shape : Shape.values()) {
                float[] x = generate(shape, random(seed));
                x[7] = 3e-7f; // below BitNet's 1e-6 threshold: zero
                float[] y = roundTrip(BlockFormat.I2_S, x);
                float scale = maxAbs(x, 0, x.length);
                for (int i = 0; i < x.length; i++) {
                    float expected = Math.abs(x[i]) < 1e-6 ? 0 : Math.signum(x[i]) * scale;
                    assertThat(y[i]).as("I2_S, %s data, value %d: x = %s, %s", shape, i, x[i], replay(seed))
                            .isEqualTo(expected);
                }
            }
        }
    }

    private static float[] roundTrip(BlockFormat format, float[] x) {
        MemorySegment bytes = Arena.ofAuto().allocate(Quantization.tensorBytes(format, ROWS, ROW_LENGTH));
        Quantization.quantize(format, x, ROW_LENGTH, bytes);
        return Quantization.dequantize(format, bytes, ROWS, ROW_LENGTH);
    }

    /** A tensor whose 256-value super-blocks each get their own magnitude, 0.5 to 1000. */
    private static float[] generate(Shape shape, SplittableRandom random) {
        float[] x = new float[ROWS * ROW_LENGTH];
        double magnitude = 1;
        for (int i = 0; i < x.length; i++) {
            if (i % 256 == 0) {
                magnitude = Math.pow(10, random.nextDouble(-0.3, 3));
            }
            double g = random.nextGaussian();
            double v = switch (shape) {
                case GAUSSIAN -> g;
                case UNIFORM -> random.nextDouble(-1, 1);
                case OUTLIERS -> random.nextInt(30) == 0 ? 3 * g : g;
                case POSITIVE -> Math.abs(g) + 2;
                case MIXED_SUB_BLOCKS -> i / 32 % 2 == 0 ? g : 0.1 * g;
            };
            x[i] = (float) (v * magnitude);
        }
        return x;
    }
}
