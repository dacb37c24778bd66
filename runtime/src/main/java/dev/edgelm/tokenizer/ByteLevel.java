package dev.edgelm.tokenizer;

/**
 * GPT-2's reversible map between bytes and printable code points, which byte-level BPE vocabularies are written in:
 * the printable bytes {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} stand for themselves, the other 68 bytes (controls,
 * space, and so on) map in order to U+0100 and up, so a space is {@code Ġ} (U+0120) and a newline {@code Ċ}.
 */
final class ByteLevel {
    /** Code point for each byte value. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Byte value for each code point below {@link #CHAR_LIMIT}, or -1. */
    private static final short[] CHAR_TO_BYTE;
    private static final int CHAR_LIMIT = 256 + 68;

    static {
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            BYTE_TO_CHAR[b] = (char) (printable[b] ? b : next++);
        }
        CHAR_TO_BYTE = new short[CHAR_LIMIT];
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = (short) b;
        }
    }

    private ByteLevel() {
    }

    /** The code point that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte that code point {@code cp} stands for, or -1 if it stands for none. */
    static int byteOf(int cp) {
        return cp >= 0 && cp < CHAR_LIMIT ? CHAR_TO_BYTE[cp] : -1;
    }

    /** {@code bytes[from..to)} written as byte-level text. */
    static String encode(byte[] bytes, int from, int to) {
        char[] chars = new char[to - from];
        for (int i = from; i < to; i++) {
            chars[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }
}
