package dev.edgelm.tokenizer;

import java.util.Arrays;

/**
 * Token text to id over a vocabulary's packed UTF-8 texts: an open-addressing table of ids, probed by
 * {@link String#hashCode} and checked by comparing the query's characters with the packed bytes, so that neither
 * the index nor a lookup makes a {@code String} per token. A {@code HashMap<String, Integer>} of a 128k-token
 * vocabulary costs about 7 MB of entries and boxed ids on a device; this is one {@code int[]} of twice the
 * vocabulary's size.
 *
 * <p>The texts must be well-formed UTF-8 (the encoding of a {@code String} without lone surrogates, as GGUF's
 * validated strings are), so that each decodes to exactly the {@code String} it was made from.
 */
final class TextIndex {
    private static final int EMPTY = -1;

    private final PackedBytes texts;
    private final int[] slots;
    private final int mask;

    /** Indexes {@code texts} by content; where a text occurs more than once the last id wins, as in llama.cpp. */
    TextIndex(PackedBytes texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(4, texts.size()) * 2 - 1) << 1;
        slots = new int[capacity];
        Arrays.fill(slots, EMPTY);
        mask = capacity - 1;
        for (int id = 0; id < texts.size(); id++) {
            int i = spread(stringHash(id)) & mask;
            while (slots[i] != EMPTY && !sameText(slots[i], id)) {
                i = (i + 1) & mask;
            }
            slots[i] = id;
        }
    }

    /** The id of {@code text}, or -1. */
    int get(String text) {
        int i = spread(text.hashCode()) & mask;
        while (slots[i] != EMPTY && !matches(slots[i], text)) {
            i = (i + 1) & mask;
        }
        return slots[i];
    }

    /** Whether packed text {@code id} decodes to {@code text}. */
    private boolean matches(int id, String text) {
        int at = texts.start(id);
        int end = texts.end(id);
        int k = 0;
        while (at < end) {
            int lead = texts.byteAt(at);
            if (lead < 0x80) {
                // ASCII, most of most vocabularies: no decoding.
                if (k == text.length() || text.charAt(k) != lead) {
                    return false;
                }
                at++;
                k++;
                continue;
            }
            int codePoint = codePointAt(at);
            if (k == text.length() || text.codePointAt(k) != codePoint) {
                return false;
            }
            at += utf8Length(lead);
            k += Character.charCount(codePoint);
        }
        return k == text.length();
    }

    /** Whether packed texts {@code a} and {@code b} are equal (byte for byte, as UTF-8 is canonical). */
    private boolean sameText(int a, int b) {
        int length = texts.length(a);
        if (length != texts.length(b)) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (texts.byteAt(texts.start(a) + i) != texts.byteAt(texts.start(b) + i)) {
                return false;
            }
        }
        return true;
    }

    /** {@link String#hashCode} of packed text {@code id}: over its UTF-16 units, computed from the UTF-8. */
    private int stringHash(int id) {
        int h = 0;
        for (int at = texts.start(id); at < texts.end(id); ) {
            int lead = texts.byteAt(at);
            int codePoint = codePointAt(at);
            if (Character.isBmpCodePoint(codePoint)) {
                h = 31 * h + codePoint;
            } else {
                h = 31 * (31 * h + Character.highSurrogate(codePoint)) + Character.lowSurrogate(codePoint);
            }
            at += utf8Length(lead);
        }
        return h;
    }

    /** The code point of the well-formed UTF-8 sequence at {@code at}. */
    private int codePointAt(int at) {
        int lead = texts.byteAt(at);
        if (lead < 0x80) {
            return lead;
        }
        int length = utf8Length(lead);
        int codePoint = lead & (0xFF >> (length + 1));
        for (int i = 1; i < length; i++) {
            codePoint = codePoint << 6 | texts.byteAt(at + i) & 0x3F;
        }
        return codePoint;
    }

    /** Bytes in the UTF-8 sequence that starts with {@code lead}. */
    private static int utf8Length(int lead) {
        return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    }

    /** String hashes of short, similar texts cluster in their low bits: mix the high ones in before masking. */
    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
