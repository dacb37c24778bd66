package dev.edgelm.generate.grammar;

/**
 * Strict UTF-8 decoding one byte at a time, for token bytes that may split a character: the state between bytes
 * is one {@code int}, {@link #NONE} between characters, else a <em>partial</em> character (its bits so far, how
 * many bytes remain, and its length). Overlong forms, surrogates, code points above U+10FFFF and stray
 * continuation bytes are invalid, and a partial character is invalid as soon as no continuation could make it
 * valid, so a prefix is never accepted that no byte sequence can complete.
 */
final class Utf8 {
    /** Between characters. */
    static final int NONE = 0;
    /** The result of {@link #step} for a byte that cannot continue the bytes before it. */
    static final int INVALID = -1;
    /** Set in the result of {@link #step} when it is a partial character, not a complete code point. */
    static final int PARTIAL = 1 << 30;

    /** The smallest code point of each length, 1 to 4 bytes (smaller ones would be overlong). */
    private static final int[] MIN = {0, 0, 0x80, 0x800, 0x10000};

    private Utf8() {
    }

    /**
     * Adds byte {@code b} (0-255) to {@code partial} ({@link #NONE} or a partial character from an earlier step).
     *
     * @return a code point ({@code < PARTIAL}) when {@code b} completes one; {@code PARTIAL | p} when the character
     *     is still incomplete, {@code p} being the new partial state; or {@link #INVALID}
     */
    static int step(int partial, int b) {
        if (partial == NONE) {
            if (b < 0x80) {
                return b;
            }
            if (b < 0xC2) { // a continuation byte, or C0/C1 (always overlong)
                return INVALID;
            }
            if (b < 0xE0) {
                return PARTIAL | pack(b & 0x1F, 1, 2);
            }
            if (b < 0xF0) {
                return PARTIAL | pack(b & 0x0F, 2, 3);
            }
            return b < 0xF5 ? PARTIAL | pack(b & 0x07, 3, 4) : INVALID;
        }
        if ((b & 0xC0) != 0x80) {
            return INVALID;
        }
        int value = (partial >>> 4) << 6 | (b & 0x3F);
        int remaining = ((partial >>> 2) & 3) - 1;
        int length = (partial & 3) + 1;
        if (remaining == 0) {
            boolean valid = value >= MIN[length] && value <= Character.MAX_CODE_POINT
                    && (value < 0xD800 || value > 0xDFFF);
            return valid ? value : INVALID;
        }
        int next = pack(value, remaining, length);
        int low = low(next);
        int high = high(next);
        // Only the surrogate block can be a hole inside [low, high] at this point; everything else is clipped.
        return low > high || (low >= 0xD800 && high <= 0xDFFF) ? INVALID : PARTIAL | next;
    }

    /** The smallest valid code point that {@code partial} can still become. */
    static int low(int partial) {
        int remaining = (partial >>> 2) & 3;
        return Math.max((partial >>> 4) << (6 * remaining), MIN[(partial & 3) + 1]);
    }

    /** The largest valid code point that {@code partial} can still become. */
    static int high(int partial) {
        int remaining = (partial >>> 2) & 3;
        int shift = 6 * remaining;
        return Math.min((partial >>> 4) << shift | ((1 << shift) - 1), Character.MAX_CODE_POINT);
    }

    /** Bits so far, bytes still to come (1-3), total length (2-4); never 0, which is {@link #NONE}. */
    private static int pack(int value, int remaining, int length) {
        return value << 4 | remaining << 2 | (length - 1);
    }
}
