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
        long u0 = block.get(LittleEndian.INT, scales) & 0xFFFF_FFFFL;
        long u2 = block.get(LittleEndian.INT, scales + 8) & 0xFFFF_FFFFL;
        long low = u0 & 0x3F3F_3F3FL;
        long high = (u2 & 0x0F0F_0F0FL) | ((u0 >>> 6) & 0x0303_0303L) << 4;
        return low | high << 32;
    }

    /** All 8 minimums, one per byte, as {@link #scales} returns the scales. */
    public static long mins(MemorySegment block, long scales) {
        long u1 = block.get(LittleEndian.INT, scales + 4) & 0xFFFF_FFFFL;
        long u2 = block.get(LittleEndian.INT, scales + 8) & 0xFFFF_FFFFL;
        long low = u1 & 0x3F3F_3F3FL;
        long high = ((u2 >>> 4) & 0x0F0F_0F0FL) | ((u1 >>> 6) & 0x0303_0303L) << 4;
        return low | high << 32;
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
