package dev.edgelm.kernels.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Small helpers shared by the quantization tests. */
final class QuantTestSupport {

    /** Base of every random test's seeds; override with {@code -Dedgelm.test.seed=N} to explore other data. */
    static final long BASE_SEED = Long.getLong("edgelm.test.seed", 0x5EED_2025L);

    private QuantTestSupport() {}

    /** Seed number {@code index} of a test, derived from {@link #BASE_SEED}. */
    static long seed(int index) {
        return BASE_SEED * 1_000_003L + index;
    }

    /** What a failure message says about its random data, so the case can be replayed. */
    static String replay(long seed) {
        return "seed " + seed + " (base -Dedgelm.test.seed=" + BASE_SEED + ")";
    }

    static SplittableRandom random(long seed) {
        return new SplittableRandom(seed);
    }

    /** Quantizes one row with the format's codec and returns its bytes. */
    static byte[] quantizeRow(BlockFormat format, float[] values) {
        MemorySegment segment = Arena.ofAuto().allocate(format.rowBytes(values.length));
        BlockCodec.of(format).quantizeRow(values, 0, values.length, segment, 0);
        return segment.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Dequantizes one row of {@code n} values from {@code bytes}. */
    static float[] dequantizeRow(BlockFormat format, byte[] bytes, int n) {
        float[] values = new float[n];
        BlockCodec.of(format).dequantizeRow(MemorySegment.ofArray(bytes), 0, values, 0, n);
        return values;
    }

    /** Bytes from hex digits; spaces, which group fields in expectations, are ignored. */
    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replace(" ", ""));
    }

    /** {@code count} copies of the byte pattern given in hex. */
    static String repeat(String hexPattern, int count) {
        return hexPattern.replace(" ", "").repeat(count);
    }

    static String toHex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** Largest |x| over {@code values[from .. from + n)}. */
    static float maxAbs(float[] values, int from, int n) {
        float amax = 0;
        for (int i = from; i < from + n; i++) {
            amax = Math.max(amax, Math.abs(values[i]));
        }
        return amax;
    }
}
