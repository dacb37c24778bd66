package dev.edgelm.tokenizer;

/**
 * An immutable-after-build open-addressing map from a pair of non-negative ints to a non-negative int: BPE's merge
 * ranks keyed by (left symbol, right symbol). Boxed keys would cost a 280k-merge vocabulary tens of megabytes and a
 * pointer chase per lookup; this is two flat arrays.
 */
final class PairMap {
    private final long[] keys;
    private final int[] values;
    private final int mask;

    PairMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        java.util.Arrays.fill(values, -1);
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }

    private static int hash(long key) {
        key ^= key >>> 33;
        key *= 0xff51afd7ed558ccdL;
        key ^= key >>> 33;
        return (int) key;
    }

    /** Maps the pair to {@code value} unless it is already mapped (the first, lowest rank wins, as in llama.cpp). */
    void putIfAbsent(int left, int right, int value) {
        long key = key(left, right);
        int i = hash(key) & mask;
        while (values[i] >= 0) {
            if (keys[i] == key) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
    }

    /** The value for the pair, or -1. */
    int get(int left, int right) {
        long key = key(left, right);
        int i = hash(key) & mask;
        while (values[i] >= 0) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }
}
