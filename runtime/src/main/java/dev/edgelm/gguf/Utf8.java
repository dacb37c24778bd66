package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8: GGUF strings must be well-formed (no overlongs, surrogates or values past U+10FFFF). */
final class Utf8 {
    private static final long ASCII_MASK = 0x8080808080808080L;

    private Utf8() {
    }

    /**
     * Offset of the first byte that starts an ill-formed sequence in {@code [from, from + length)}, or -1.
     * Works in place on the mapping so that validating a 150k-entry vocabulary allocates nothing.
     */
    static long firstInvalid(MemorySegment segment, long from, long length) {
        long end = from + length;
        long i = from;
        while (i < end) {
            if (end - i >= Long.BYTES && (segment.get(Le.I64, i) & ASCII_MASK) == 0) {
                i += Long.BYTES;
                continue;
            }
            int b = segment.get(Le.I8, i) & 0xFF;
            if (b < 0x80) {
                i++;
                continue;
            }
            int continuation;
            if (b >= 0xC2 && b <= 0xDF) {
                continuation = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                continuation = 2;
            } else if (b >= 0xF0 && b <= 0xF4) {
                continuation = 3;
            } else {
                return i;
            }
            if (end - i <= continuation) {
                return i;
            }
            int b1 = segment.get(Le.I8, i + 1) & 0xFF;
            if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F)
                    || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F)) {
                return i; // overlong, surrogate or beyond U+10FFFF
            }
            for (int k = 1; k <= continuation; k++) {
                if ((segment.get(Le.I8, i + k) & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += continuation + 1;
        }
        return -1;
    }

    /**
     * Encodes {@code s}, refusing unpaired surrogates that {@link String#getBytes} would silently turn into '?'.
     *
     * @throws IllegalArgumentException if {@code s} is not valid Unicode
     */
    static byte[] encode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 == s.length()
                        || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new IllegalArgumentException("string has an unpaired surrogate at index " + i);
                }
                i++;
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
