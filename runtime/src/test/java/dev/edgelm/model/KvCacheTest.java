package dev.edgelm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.HalfFloats;
import dev.edgelm.model.ModelConfig.LayerShape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    private static final Kernels KERNELS = Kernels.get();

    /** Two layers (2 and 1 KV heads, as OpenELM's differ), heads of {@code headDim}. */
    private static ModelConfig config(int headDim) {
        return new ModelConfig(Architecture.LLAMA, 128, 100, 64,
                List.of(new LayerShape(4, 2, 256, false), new LayerShape(2, 1, 256, false)), headDim, headDim,
                headDim, 10_000, 1, 1e-5f, 1f, 0f, 0f, 0);
    }

    /**
     * Every position of a cache whose capacity is not a whole number of key tiles, read back in runs that start and
     * end inside tiles and cross their edges, into arrays at an offset and (keys) with a stride: exactly the
     * stored rounding of what was stored, computed here value by value (F32 as is, F16 through binary16, Q8_0 as
     * code times the scale of its 32-value block of the key or value).
     */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void runsOfPositionsReadBackExactlyWhatWasStored(KvCacheType type) {
        int headDim = 64;
        int capacity = 2 * KvCache.KEY_TILE + 22;
        KvCache cache = KvCache.allocate(type, config(headDim), capacity);
        SplittableRandom random = new SplittableRandom(7);
        float[][][] keys = new float[2][capacity][];
        float[][][] values = new float[2][capacity][];
        for (int position = 0; position < capacity; position++) {
            for (int layer = 0; layer < 2; layer++) {
                int width = kvHeads(layer) * headDim;
                keys[layer][position] = gaussian(random, width);
                values[layer][position] = gaussian(random, width);
                cache.store(layer, position, keys[layer][position], 0, values[layer][position], 0);
            }
        }
        int t = KvCache.KEY_TILE;
        int[][] runs = {{0, capacity}, {0, 1}, {5, 3}, {t - 3, 7}, {t - 1, t + 2}, {2 * t, 22}, {capacity - 1, 1}};
        for (int layer = 0; layer < 2; layer++) {
            for (int head = 0; head < kvHeads(layer); head++) {
                for (int[] run : runs) {
                    int from = run[0];
                    int count = run[1];
                    int stride = count + 3;
                    float[] k = new float[2 + headDim * stride];
                    float[] v = new float[2 + count * headDim];
                    cache.keys(KERNELS, layer, head, from, count, k, 2, stride);
                    cache.values(KERNELS, layer, head, from, count, v, 2);
                    for (int j = 0; j < count; j++) {
                        float[] expectedKey = stored(type, keys[layer][from + j], head * headDim, headDim);
                        float[] expectedValue = stored(type, values[layer][from + j], head * headDim, headDim);
                        for (int i = 0; i < headDim; i++) {
                            String where = String.format("%s layer %d head %d run %d+%d, position %d value %d", type,
                                    layer, head, from, count, from + j, i);
                            assertThat(k[2 + i * stride + j]).as("key, " + where).isEqualTo(expectedKey[i]);
                            assertThat(v[2 + j * headDim + i]).as("value, " + where).isEqualTo(expectedValue[i]);
                        }
                    }
                }
            }
        }
        assertThatThrownBy(() -> cache.keys(KERNELS, 0, 0, capacity - 2, 3, new float[256], 0, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cache.values(KERNELS, 0, 0, -1, 1, new float[256], 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    private static int kvHeads(int layer) {
        return layer == 0 ? 2 : 1;
    }

    /** What a cache of {@code type} keeps of {@code x[offset .. offset + n)}. */
    private static float[] stored(KvCacheType type, float[] x, int offset, int n) {
        float[] out = new float[n];
        switch (type) {
            case F32 -> System.arraycopy(x, offset, out, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(HalfFloats.toF16(x[offset + i]));
                }
            }
            case Q8_0 -> {
                byte[] codes = new byte[32];
                for (int b = 0; b < n; b += 32) {
                    float scale = ActivationQuantizer.quantizeQ8_0(x, offset + b, codes, 0);
                    for (int i = 0; i < 32; i++) {
                        out[b + i] = codes[i] * scale;
                    }
                }
            }
        }
        return out;
    }

    /** The stored rounding is small: exact for F32, f16's 2^-11 relative, Q8_0's half step of a block's max / 127. */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void storedValuesStayWithinTheTypesRounding(KvCacheType type) {
        int headDim = 64;
        KvCache cache = KvCache.allocate(type, config(headDim), 16);
        float[] key = gaussian(new SplittableRandom(11), 2 * headDim);
        float[] value = gaussian(new SplittableRandom(12), 2 * headDim);
        cache.store(0, 9, key, 0, value, 0);
        float[] k = new float[headDim];
        float[] v = new float[headDim];
        cache.keys(KERNELS, 0, 1, 9, 1, k, 0, 1);
        cache.values(KERNELS, 0, 1, 9, 1, v, 0);
        double tolerance = switch (type) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case Q8_0 -> 2e-2;
        };
        for (int i = 0; i < headDim; i++) {
            assertThat(k[i]).isCloseTo(key[headDim + i], within((float) (tolerance * 4)));
            assertThat(v[i]).isCloseTo(value[headDim + i], within((float) (tolerance * 4)));
        }
    }

    @Test
    void q8_0NeedsHeadSizesInBlocksOf32() {
        assertThatThrownBy(() -> KvCache.allocate(KvCacheType.Q8_0, config(40), 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of 32")
                .hasMessageContaining("40");
    }

    @Test
    void sizesFollowTheType() {
        ModelConfig config = config(64);
        // (2 + 1) KV heads x (64 + 64) values per position.
        long values = 3L * 128 * 10;
        assertThat(KvCache.bytes(KvCacheType.F32, config, 10)).isEqualTo(values * 4);
        assertThat(KvCache.bytes(KvCacheType.F16, config, 10)).isEqualTo(values * 2);
        assertThat(KvCache.bytes(KvCacheType.Q8_0, config, 10)).isEqualTo(values + values / 32 * 4);
    }

    @Test
    void positionsOutsideTheCacheAreRefused() {
        KvCache cache = KvCache.allocate(KvCacheType.F16, config(64), 4);
        float[] kv = new float[128];
        assertThatThrownBy(() -> cache.store(0, 4, kv, 0, kv, 0)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("outside the cache of 4");
        assertThatThrownBy(() -> KvCacheType.parse("q4_0")).hasMessageContaining("f16, f32 or q8_0");
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian());
        }
        return x;
    }
}
