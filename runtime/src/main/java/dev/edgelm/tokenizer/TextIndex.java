package dev.edgelm.tokenizer;

import java.util.Arrays;

/**
 * Token text to id over a vocabulary's own text array: an open-addressing table of ids, probed by the texts' cached
 * hash codes. A {@code HashMap<String, Integer>} of a 128k-token vocabulary costs about 7 MB of entries and boxed
 * ids on a device; this is one {@code int[]} of twice the vocabulary's size.
 */
final class TextIndex {
    private static final int EMPTY = -1;

    private final String[] texts;
    private final int[] slots;
    private final int mask;

    /** Indexes {@code texts} by content; where a text occurs more than once the last id wins, as in llama.cpp. */
    TextIndex(String[] texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(4, texts.length) * 2 - 1) << 1;
        slots = new int[capacity];
        Arrays.fill(slots, EMPTY);
        mask = capacity - 1;
        for (int id = 0; id < texts.length; id++) {
            slots[find(texts[id])] = id;
        }
    }

    /** The id of {@code text}, or -1. */
    int get(String text) {
        return slots[find(text)];
    }

    /** The slot that holds {@code text}'s id, or the empty slot where it would go. */
    private int find(String text) {
        int i = spread(text.hashCode()) & mask;
        while (slots[i] != EMPTY && !texts[slots[i]].equals(text)) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** String hashes of short, similar texts cluster in their low bits: mix the high ones in before masking. */
    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
