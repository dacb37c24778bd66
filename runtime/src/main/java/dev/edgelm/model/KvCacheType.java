package dev.edgelm.model;

import java.util.Locale;

/** How the KV cache stores keys and values. */
public enum KvCacheType {
    /** IEEE binary16, llama.cpp's default: half the memory of F32, rounding well below the weights' own error. */
    F16,
    /** Full float32: twice the memory, for comparisons that must not round. */
    F32,
    /**
     * 8-bit codes with a scale per 32 values, llama.cpp's {@code q8_0} cache: 0.56 of F16's memory, for long
     * contexts on small devices. Needs head sizes that are multiples of 32.
     */
    Q8_0;

    /**
     * Parses {@code f16}, {@code f32} or {@code q8_0} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values otherwise
     */
    public static KvCacheType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f16" -> F16;
            case "f32" -> F32;
            case "q8_0" -> Q8_0;
            default -> throw new IllegalArgumentException("unknown KV cache type '" + name
                    + "' (use f16, f32 or q8_0)");
        };
    }
}
