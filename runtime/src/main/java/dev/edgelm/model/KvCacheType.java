package dev.edgelm.model;

import java.util.Locale;

/** How the KV cache stores keys and values. */
public enum KvCacheType {
    /** IEEE binary16, llama.cpp's default: half the memory of F32, rounding well below the weights' own error. */
    F16,
    /** Full float32: twice the memory, for comparisons that must not round. */
    F32;

    /**
     * Parses {@code f16} or {@code f32} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values otherwise
     */
    public static KvCacheType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f16" -> F16;
            case "f32" -> F32;
            default -> throw new IllegalArgumentException("unknown KV cache type '" + name + "' (use f16 or f32)");
        };
    }
}
