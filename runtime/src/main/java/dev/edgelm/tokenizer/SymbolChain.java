package dev.edgelm.tokenizer;

/**
 * The symbols of one word during BPE merging, as a doubly linked list over primitive arrays: symbol {@code i} spans
 * {@code length[i]} units and links to {@code prev[i]} and {@code next[i]} (-1 at the ends). Merging a pair
 * absorbs the right symbol into the left one, whose length grows and whose right neighbour changes; both BPE
 * flavours (SentencePiece and byte-level) share this bookkeeping and differ only in what a symbol is.
 */
final class SymbolChain {
    int[] length = new int[64];
    int[] prev = new int[64];
    int[] next = new int[64];

    /** Links symbols {@code 0..n-1} in order; their lengths are the caller's to set. */
    void reset(int n) {
        if (length.length < n) {
            length = new int[n];
            prev = new int[n];
            next = new int[n];
        }
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
    }

    /**
     * Whether the candidate merge of {@code left} with its right neighbour, queued when the pair spanned
     * {@code pairLength} units, still stands. Lengths only grow, so a pair whose combined length changed has been
     * merged away since.
     */
    boolean isLive(int left, int pairLength) {
        int right = next[left];
        return length[left] != 0 && right >= 0 && length[left] + length[right] == pairLength;
    }

    /** Absorbs the right neighbour of {@code left} into it. */
    void mergeWithNext(int left) {
        int right = next[left];
        length[left] += length[right];
        length[right] = 0;
        next[left] = next[right];
        if (next[right] >= 0) {
            prev[next[right]] = left;
        }
    }
}
