package dev.edgelm.tokenizer;

import java.util.Arrays;

/**
 * The work queue of a merge session: a binary min-heap of candidate merges, each a long priority (the merge's rank
 * or score in the high 32 bits, the left symbol's index in the low 32, so ties go to the leftmost pair as in
 * llama.cpp) and the pair's combined length, which tells a stale candidate from a live one when it is popped.
 * Primitive arrays, so a long word costs no allocation per candidate.
 */
final class MergeQueue {
    private long[] keys = new long[64];
    private int[] sizes = new int[64];
    private int size;
    private int poppedSize;

    static long priority(int high, int left) {
        return ((long) high << 32) | left;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        size = 0;
    }

    void push(long key, int pairSize) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            sizes = Arrays.copyOf(sizes, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            sizes[i] = sizes[parent];
            i = parent;
        }
        keys[i] = key;
        sizes[i] = pairSize;
    }

    /** Removes the smallest candidate and returns its key; {@link #poppedSize()} then gives its pair size. */
    long pop() {
        long top = keys[0];
        poppedSize = sizes[0];
        long key = keys[--size];
        int pairSize = sizes[size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (key <= keys[child]) {
                break;
            }
            keys[i] = keys[child];
            sizes[i] = sizes[child];
            i = child;
        }
        keys[i] = key;
        sizes[i] = pairSize;
        return top;
    }

    int poppedSize() {
        return poppedSize;
    }
}
