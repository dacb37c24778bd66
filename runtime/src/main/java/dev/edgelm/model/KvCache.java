package dev.edgelm.model;

import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.HalfFloats;

/**
 * The keys and values of every position a sequence has processed, per layer and KV head, so that each new token
 * attends to the earlier ones without recomputing them.
 *
 * <p>Per layer and KV head, positions are stored one after another ({@code headDim} values each), so that scoring a
 * query against all earlier keys reads memory in order. Not thread-safe for writes; any number of threads may read
 * distinct heads while nothing is stored.
 */
public abstract sealed class KvCache permits KvCache.F16Cache, KvCache.F32Cache, KvCache.Q8Cache {
    private final int capacity;
    private final int headDimK;
    private final int headDimV;
    private final int[] kvHeads;

    private KvCache(ModelConfig config, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("the context must hold at least one position, got " + capacity);
        }
        this.capacity = capacity;
        this.headDimK = config.headDimK();
        this.headDimV = config.headDimV();
        this.kvHeads = config.layers().stream().mapToInt(ModelConfig.LayerShape::kvHeads).toArray();
    }

    /**
     * An empty cache of {@code capacity} positions for {@code config}'s layers.
     *
     * @throws IllegalArgumentException if {@code capacity} is not positive, or a Q8_0 cache is asked for a model
     *     whose head sizes are not multiples of 32
     * @throws OutOfMemoryError if the heap cannot hold it
     */
    public static KvCache allocate(KvCacheType type, ModelConfig config, int capacity) {
        return switch (type) {
            case F16 -> new F16Cache(config, capacity);
            case F32 -> new F32Cache(config, capacity);
            case Q8_0 -> new Q8Cache(config, capacity);
        };
    }

    /** Bytes a cache of {@code capacity} positions takes for {@code config}. */
    public static long bytes(KvCacheType type, ModelConfig config, int capacity) {
        long perPosition = 0;
        for (ModelConfig.LayerShape layer : config.layers()) {
            perPosition += (long) layer.kvHeads() * (config.headDimK() + config.headDimV());
        }
        long values = perPosition * capacity;
        return switch (type) {
            case F16 -> values * Short.BYTES;
            case F32 -> values * Float.BYTES;
            case Q8_0 -> values + values / Q8Cache.BLOCK * Float.BYTES;
        };
    }

    /** The positions it holds. */
    public int capacity() {
        return capacity;
    }

    /** The storage type. */
    public abstract KvCacheType type();

    /**
     * Stores the keys and values of every KV head of {@code layer} at {@code position}: {@code kvHeads * headDimK}
     * keys at {@code keys[keysOffset ..]}, head after head, and likewise the values.
     */
    public abstract void store(int layer, int position, float[] keys, int keysOffset, float[] values,
            int valuesOffset);

    /** The dot product of the key of ({@code layer}, {@code kvHead}, {@code position}) with a query. */
    public abstract float keyDot(Kernels kernels, int layer, int kvHead, int position, float[] query,
            int queryOffset);

    /** {@code out[outOffset + i] += weight * value[i]} for the value of ({@code layer}, {@code kvHead}, {@code position}). */
    public abstract void addValue(Kernels kernels, int layer, int kvHead, int position, float weight, float[] out,
            int outOffset);

    /** Index of the first key value of a head at a position, within the layer's key array. */
    final int keyIndex(int kvHead, int position) {
        return (kvHead * capacity + position) * headDimK;
    }

    /** Index of the first value of a head at a position, within the layer's value array. */
    final int valueIndex(int kvHead, int position) {
        return (kvHead * capacity + position) * headDimV;
    }

    final void checkPosition(int position) {
        if (position < 0 || position >= capacity) {
            throw new IndexOutOfBoundsException("position " + position + " is outside the cache of " + capacity);
        }
    }

    final int keysPerLayer(int layer) {
        return Math.multiplyExact(kvHeads[layer] * capacity, headDimK);
    }

    final int valuesPerLayer(int layer) {
        return Math.multiplyExact(kvHeads[layer] * capacity, headDimV);
    }

    final int layers() {
        return kvHeads.length;
    }

    final int kvHeads(int layer) {
        return kvHeads[layer];
    }

    final int headDimK() {
        return headDimK;
    }

    final int headDimV() {
        return headDimV;
    }

    /** binary16 storage, converted on store and widened inside the attention kernels. */
    static final class F16Cache extends KvCache {
        private final short[][] keys;
        private final short[][] values;

        F16Cache(ModelConfig config, int capacity) {
            super(config, capacity);
            keys = new short[layers()][];
            values = new short[layers()][];
            for (int l = 0; l < layers(); l++) {
                keys[l] = new short[keysPerLayer(l)];
                values[l] = new short[valuesPerLayer(l)];
            }
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.F16;
        }

        @Override
        public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
            checkPosition(position);
            for (int h = 0; h < kvHeads(layer); h++) {
                toF16(k, kOffset + h * headDimK(), keys[layer], keyIndex(h, position), headDimK());
                toF16(v, vOffset + h * headDimV(), values[layer], valueIndex(h, position), headDimV());
            }
        }

        private static void toF16(float[] src, int srcOffset, short[] dst, int dstOffset, int n) {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = HalfFloats.toF16(src[srcOffset + i]);
            }
        }

        @Override
        public float keyDot(Kernels kernels, int layer, int kvHead, int position, float[] query, int queryOffset) {
            return kernels.dotF16(keys[layer], keyIndex(kvHead, position), query, queryOffset, headDimK());
        }

        @Override
        public void addValue(Kernels kernels, int layer, int kvHead, int position, float weight, float[] out,
                int outOffset) {
            kernels.axpyF16(weight, values[layer], valueIndex(kvHead, position), out, outOffset, headDimV());
        }
    }

    /** float32 storage. */
    static final class F32Cache extends KvCache {
        private final float[][] keys;
        private final float[][] values;

        F32Cache(ModelConfig config, int capacity) {
            super(config, capacity);
            keys = new float[layers()][];
            values = new float[layers()][];
            for (int l = 0; l < layers(); l++) {
                keys[l] = new float[keysPerLayer(l)];
                values[l] = new float[valuesPerLayer(l)];
            }
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.F32;
        }

        @Override
        public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
            checkPosition(position);
            for (int h = 0; h < kvHeads(layer); h++) {
                System.arraycopy(k, kOffset + h * headDimK(), keys[layer], keyIndex(h, position), headDimK());
                System.arraycopy(v, vOffset + h * headDimV(), values[layer], valueIndex(h, position), headDimV());
            }
        }

        @Override
        public float keyDot(Kernels kernels, int layer, int kvHead, int position, float[] query, int queryOffset) {
            return kernels.dot(keys[layer], keyIndex(kvHead, position), query, queryOffset, headDimK());
        }

        @Override
        public void addValue(Kernels kernels, int layer, int kvHead, int position, float weight, float[] out,
                int outOffset) {
            kernels.axpy(weight, values[layer], valueIndex(kvHead, position), out, outOffset, headDimV());
        }
    }

    /** Q8_0 storage: a byte code per value and a scale per 32, quantized on store as llama.cpp's q8_0 cache is. */
    static final class Q8Cache extends KvCache {
        static final int BLOCK = ActivationQuantizer.Q8_0_BLOCK;
        private final byte[][] keys;
        private final float[][] keyScales;
        private final byte[][] values;
        private final float[][] valueScales;

        Q8Cache(ModelConfig config, int capacity) {
            super(config, capacity);
            if (headDimK() % BLOCK != 0 || headDimV() % BLOCK != 0) {
                throw new IllegalArgumentException("a q8_0 KV cache needs head sizes that are multiples of " + BLOCK
                        + ", this model's are " + headDimK() + " and " + headDimV() + " (use f16)");
            }
            keys = new byte[layers()][];
            keyScales = new float[layers()][];
            values = new byte[layers()][];
            valueScales = new float[layers()][];
            for (int l = 0; l < layers(); l++) {
                keys[l] = new byte[keysPerLayer(l)];
                keyScales[l] = new float[keysPerLayer(l) / BLOCK];
                values[l] = new byte[valuesPerLayer(l)];
                valueScales[l] = new float[valuesPerLayer(l) / BLOCK];
            }
        }

        @Override
        public KvCacheType type() {
            return KvCacheType.Q8_0;
        }

        @Override
        public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
            checkPosition(position);
            for (int h = 0; h < kvHeads(layer); h++) {
                quantize(k, kOffset + h * headDimK(), keys[layer], keyScales[layer], keyIndex(h, position),
                        headDimK());
                quantize(v, vOffset + h * headDimV(), values[layer], valueScales[layer], valueIndex(h, position),
                        headDimV());
            }
        }

        private static void quantize(float[] src, int srcOffset, byte[] codes, float[] scales, int index, int n) {
            for (int b = 0; b < n; b += BLOCK) {
                scales[(index + b) / BLOCK] = ActivationQuantizer.quantizeQ8_0(src, srcOffset + b, codes, index + b);
            }
        }

        @Override
        public float keyDot(Kernels kernels, int layer, int kvHead, int position, float[] query, int queryOffset) {
            int index = keyIndex(kvHead, position);
            return kernels.dotQ8_0(keys[layer], index, keyScales[layer], index / BLOCK, query, queryOffset,
                    headDimK());
        }

        @Override
        public void addValue(Kernels kernels, int layer, int kvHead, int position, float weight, float[] out,
                int outOffset) {
            int index = valueIndex(kvHead, position);
            kernels.axpyQ8_0(weight, values[layer], index, valueScales[layer], index / BLOCK, out, outOffset,
                    headDimV());
        }
    }
}
