package dev.edgelm.model;

import dev.edgelm.kernels.Kernels;
import dev.edgelm.kernels.quant.ActivationQuantizer;
import dev.edgelm.kernels.quant.HalfFloats;
import java.util.Objects;

/**
 * The keys and values of every position a sequence has processed, per layer and KV head, so that each new token
 * attends to the earlier ones without recomputing them.
 *
 * <p>Attention reads a run of positions of one (layer, KV head) at a time, converted to floats ({@link #keys},
 * {@link #values}), and multiplies it with many queries at once. Values are stored position after position
 * ({@code headDimV} each), as the weighted sum reads them. Keys are stored in tiles of {@value #KEY_TILE} positions,
 * dimension-major within a tile (value i of the tile's positions side by side), so that a run of keys converts
 * to the layout the score product reads (one dimension of consecutive keys per vector) without a transposition.
 * Not thread-safe for writes; any number of threads may read while nothing is stored.
 */
public abstract sealed class KvCache permits KvCache.F16Cache, KvCache.F32Cache, KvCache.Q8Cache {
    /** Positions per key tile (the last tile of a cache holds what is left of its capacity). */
    static final int KEY_TILE = 64;

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

    /**
     * The keys of positions [{@code from}, {@code from + count}) of ({@code layer}, {@code kvHead}) as floats (exactly
     * what is stored), dimension-major: value i of position {@code from + j} at {@code dst[dstOffset + i * dstStride
     * + j]}.
     *
     * @throws IndexOutOfBoundsException if the positions are outside the cache
     */
    public final void keys(Kernels kernels, int layer, int kvHead, int from, int count, float[] dst, int dstOffset,
            int dstStride) {
        Objects.checkFromIndexSize(from, count, capacity);
        for (int p = from, end = from + count; p < end; ) {
            int run = Math.min(end, (p / KEY_TILE + 1) * KEY_TILE) - p; // the part within p's tile
            for (int i = 0; i < headDimK; i++) {
                keyRun(kernels, layer, kvHead, p, i, run, dst, dstOffset + i * dstStride + p - from);
            }
            p += run;
        }
    }

    /**
     * The values of positions [{@code from}, {@code from + count}) of ({@code layer}, {@code kvHead}) as floats
     * (exactly what is stored), position-major: value i of position {@code from + j} at {@code dst[dstOffset + j *
     * headDimV + i]}.
     *
     * @throws IndexOutOfBoundsException if the positions are outside the cache
     */
    public final void values(Kernels kernels, int layer, int kvHead, int from, int count, float[] dst,
            int dstOffset) {
        Objects.checkFromIndexSize(from, count, capacity);
        valueRun(kernels, layer, valueIndex(kvHead, from), count * headDimV, dst, dstOffset);
    }

    /** Value {@code dim} of the keys of {@code count} positions from {@code position}, all in one tile, to dst. */
    abstract void keyRun(Kernels kernels, int layer, int kvHead, int position, int dim, int count, float[] dst,
            int dstOffset);

    /** {@code count} stored values from {@code index} of the layer's value array to dst. */
    abstract void valueRun(Kernels kernels, int layer, int index, int count, float[] dst, int dstOffset);

    /**
     * Index of value {@code dim} of a head's key at a position, within the layer's key array: tiles of
     * {@link #KEY_TILE} positions, dimension-major.
     */
    final int keyIndex(int kvHead, int position, int dim) {
        return tiledIndex(kvHead, position, dim, headDimK);
    }

    /**
     * Index of row {@code row} of {@code rows} per position, tiled as keys are: a tile's positions side by side per
     * row, {@code rows} rows per tile (the last tile narrower when the capacity is not a whole number of tiles).
     */
    final int tiledIndex(int kvHead, int position, int row, int rows) {
        int start = position / KEY_TILE * KEY_TILE;
        int width = Math.min(KEY_TILE, capacity - start);
        return (kvHead * capacity + start) * rows + row * width + position - start;
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

    /** binary16 storage, converted on store and widened exactly on read ({@link Kernels#halfToFloat}). */
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
            short[] layerKeys = keys[layer];
            short[] layerValues = values[layer];
            for (int h = 0; h < kvHeads(layer); h++) {
                for (int i = 0; i < headDimK(); i++) {
                    layerKeys[keyIndex(h, position, i)] = HalfFloats.toF16(k[kOffset + h * headDimK() + i]);
                }
                int at = valueIndex(h, position);
                for (int i = 0; i < headDimV(); i++) {
                    layerValues[at + i] = HalfFloats.toF16(v[vOffset + h * headDimV() + i]);
                }
            }
        }

        @Override
        void keyRun(Kernels kernels, int layer, int kvHead, int position, int dim, int count, float[] dst,
                int dstOffset) {
            kernels.halfToFloat(keys[layer], keyIndex(kvHead, position, dim), dst, dstOffset, count);
        }

        @Override
        void valueRun(Kernels kernels, int layer, int index, int count, float[] dst, int dstOffset) {
            kernels.halfToFloat(values[layer], index, dst, dstOffset, count);
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
                for (int i = 0; i < headDimK(); i++) {
                    keys[layer][keyIndex(h, position, i)] = k[kOffset + h * headDimK() + i];
                }
                System.arraycopy(v, vOffset + h * headDimV(), values[layer], valueIndex(h, position), headDimV());
            }
        }

        @Override
        void keyRun(Kernels kernels, int layer, int kvHead, int position, int dim, int count, float[] dst,
                int dstOffset) {
            System.arraycopy(keys[layer], keyIndex(kvHead, position, dim), dst, dstOffset, count);
        }

        @Override
        void valueRun(Kernels kernels, int layer, int index, int count, float[] dst, int dstOffset) {
            System.arraycopy(values[layer], index, dst, dstOffset, count);
        }
    }

    /** Q8_0 storage: a byte code per value and a scale per 32, quantized on store as llama.cpp's q8_0 cache is. */
    static final class Q8Cache extends KvCache {
        static final int BLOCK = ActivationQuantizer.Q8_0_BLOCK;
        private final byte[][] keys;
        private final float[][] keyScales;
        private final byte[][] values;
        private final float[][] valueScales;
        /** One key block's codes on their way to the tile (stores are single-threaded). */
        private final byte[] keyCodes = new byte[BLOCK];

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
                // A key is quantized in blocks of 32 of its own values, then spread over its tile's rows.
                for (int b = 0; b < headDimK() / BLOCK; b++) {
                    keyScales[layer][tiledIndex(h, position, b, headDimK() / BLOCK)] =
                            ActivationQuantizer.quantizeQ8_0(k, kOffset + h * headDimK() + b * BLOCK, keyCodes, 0);
                    for (int i = 0; i < BLOCK; i++) {
                        keys[layer][keyIndex(h, position, b * BLOCK + i)] = keyCodes[i];
                    }
                }
                int index = valueIndex(h, position);
                for (int b = 0; b < headDimV(); b += BLOCK) {
                    valueScales[layer][(index + b) / BLOCK] = ActivationQuantizer.quantizeQ8_0(v,
                            vOffset + h * headDimV() + b, values[layer], index + b);
                }
            }
        }

        @Override
        void keyRun(Kernels kernels, int layer, int kvHead, int position, int dim, int count, float[] dst,
                int dstOffset) {
            byte[] codes = keys[layer];
            float[] scales = keyScales[layer];
            int at = keyIndex(kvHead, position, dim);
            int scaleAt = tiledIndex(kvHead, position, dim / BLOCK, headDimK() / BLOCK);
            for (int j = 0; j < count; j++) {
                dst[dstOffset + j] = codes[at + j] * scales[scaleAt + j];
            }
        }

        @Override
        void valueRun(Kernels kernels, int layer, int index, int count, float[] dst, int dstOffset) {
            byte[] codes = values[layer];
            float[] scales = valueScales[layer];
            for (int b = 0; b < count; b += BLOCK) { // runs of whole values, so of whole blocks
                float scale = scales[(index + b) / BLOCK];
                for (int j = b; j < b + BLOCK; j++) {
                    dst[dstOffset + j] = codes[index + j] * scale;
                }
            }
        }
    }
}
