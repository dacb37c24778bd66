package dev.edgelm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.edgelm.kernels.Kernels;
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
     * Keys and values stored at scattered positions read back as dot products and weighted sums, within each
     * type's rounding: exact for F32, f16's 2^-11 relative, Q8_0's half step of a 32-value block's max / 127.
     */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void storedKeysAndValuesReadBackWithinTheTypesRounding(KvCacheType type) {
        int headDim = 64;
        KvCache cache = KvCache.allocate(type, config(headDim), 16);
        SplittableRandom random = new SplittableRandom(7);
        float[][][] keys = new float[2][16][];
        float[][][] values = new float[2][16][];
        for (int layer = 0; layer < 2; layer++) {
            int width = (layer == 0 ? 2 : 1) * headDim;
            for (int position : new int[] {0, 5, 15}) {
                keys[layer][position] = gaussian(random, width);
                values[layer][position] = gaussian(random, width);
                cache.store(layer, position, keys[layer][position], 0, values[layer][position], 0);
            }
        }
        double tolerance = switch (type) {
            case F32 -> 1e-5;
            case F16 -> 2e-3;
            case Q8_0 -> 3e-2;
        };
        float[] query = gaussian(random, headDim);
        for (int layer = 0; layer < 2; layer++) {
            for (int head = 0; head < (layer == 0 ? 2 : 1); head++) {
                for (int position : new int[] {0, 5, 15}) {
                    float[] k = keys[layer][position];
                    double expected = 0;
                    double magnitude = 0;
                    for (int i = 0; i < headDim; i++) {
                        expected += (double) k[head * headDim + i] * query[i];
                        magnitude += Math.abs((double) k[head * headDim + i] * query[i]);
                    }
                    assertThat((double) cache.keyDot(KERNELS, layer, head, position, query, 0))
                            .as("%s layer %d head %d position %d", type, layer, head, position)
                            .isCloseTo(expected, within(tolerance * magnitude));
                    float[] out = new float[headDim];
                    cache.addValue(KERNELS, layer, head, position, 0.5f, out, 0);
                    for (int i = 0; i < headDim; i++) {
                        float v = values[layer][position][head * headDim + i];
                        assertThat(out[i]).isCloseTo(0.5f * v, within((float) (tolerance * 4)));
                    }
                }
            }
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
