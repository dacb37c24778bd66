package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;

/**
 * The packed 6-bit sub-block scales and minimums of {@link BlockFormat#Q4_K} and {@link BlockFormat#Q5_K}
 * ({@code get_scale_min_k4}), for kernels that read those blocks directly.
 */
public final class KQuantScales {

    /** Byte offset of the 12 packed scale bytes within a Q4_K or Q5_K block. */
    public static final int OFFSET = 4;

    private KQuantScales() {}

    /**
     * All 8 scales of the block whose 12 scale bytes start at {@code scales}, one per byte of the result
     * (scale j in byte j), unpacked branch-free with ggml's {@code kmask} arithmetic: three loads and a dozen
     * operations instead of a dozen byte reads, for hot loops.
     */
    public static long scales(MemorySegment block, long scales) {
        return scales(block.get(LittleEndian.INT, scales), block.get(LittleEndian.INT, scales + 8));
    }

    /** All 8 minimums, one per byte, as {@link #scales} returns the scales. */
    public static long mins(MemorySegment block, long scales) {
        return mins(block.get(LittleEndian.INT, scales + 4), block.get(LittleEndian.INT, scales + 8));
    }

    /**
     * {@link #scales(MemorySegment, long)} from the first and third little-endian 32-bit words of the 12 scale
     * bytes, for callers that read them from an array.
     */
    public static long scales(int word0, int word2) {
        long u0 = word0 & 0xFFFF_FFFFL;
        long u2 = word2 & 0xFFFF_FFFFL;
        long low = u0 & 0x3F3F_3F3FL;
        long high = (u2 & 0x0F0F_0F0FL) | ((u0 >>> 6) & 0x0303_0303L) << 4;
        return low | high << 32;
    }

    /** {@link #mins(MemorySegment, long)} from the second and third 32-bit words of the 12 scale bytes. */
    public static long mins(int word1, int word2) {
        long u1 = word1 & 0xFFFF_FFFFL;
        long u2 = word2 & 0xFFFF_FFFFL;
        long low = u1 & 0x3F3F_3F3FL;
        long high = ((u2 >>> 4) & 0x0F0F_0F0FL) | ((u1 >>> 6) & 0x0303_0303L) << 4;
        return low | high << 32;
    }

    /**
     * The inverse of {@link #scales(int, int)} and {@link #mins(int, int)}: little-endian 32-bit word
     * {@code word} (0 to 2) of the 12 scale bytes holding {@code scales} and {@code mins} (8 values of 6 bits
     * each, one per byte). The 16 six-bit values fill the 96 bits exactly, so every 12 bytes come back.
     */
    public static int packed(long scales, long mins, int word) {
        long sixBits = 0x3F3F_3F3FL;
        long topBits = 0x0303_0303L;
        return (int) switch (word) {
            case 0 -> scales & sixBits | (scales >>> 36 & topBits) << 6;
            case 1 -> mins & sixBits | (mins >>> 36 & topBits) << 6;
            case 2 -> scales >>> 32 & 0x0F0F_0F0FL | (mins >>> 32 & 0x0F0F_0F0FL) << 4;
            default -> throw new IllegalArgumentException("word " + word);
        };
    }

    /** Sub-block {@code j}'s scale (0..63), from the 12 scale bytes at {@code block + scales}. */
    public static int scale(MemorySegment block, long scales, int j) {
        return ScaleMinKCodec.scale(block, scales, j);
    }

    /** Sub-block {@code j}'s minimum (0..63), from the 12 scale bytes at {@code block + scales}. */
    public static int min(MemorySegment block, long scales, int j) {
        return ScaleMinKCodec.min(block, scales, j);
    }
}
