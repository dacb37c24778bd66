package dev.edgelm.generate.grammar;

import java.util.Arrays;

/**
 * A growable open-addressing map from {@code long} keys to non-negative {@code int} values: the grammar automaton's
 * table of stack nodes, keyed by (position, node below), and the pairs a closure has visited, where boxed keys
 * would cost an allocation per look-up. Not thread-safe.
 */
final class LongIntMap {
    /** What {@link #get} returns for a key that is not in the map. */
    static final int ABSENT = -1;

    private long[] keys;
    private int[] values;
    private int size;

    LongIntMap() {
        keys = new long[16];
        values = new int[16];
        Arrays.fill(values, ABSENT);
    }

    /** The value of {@code key}, or {@link #ABSENT}. */
    int get(long key) {
        int mask = keys.length - 1;
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            int value = values[i];
            if (value == ABSENT || keys[i] == key) {
                return value;
            }
        }
    }

    /** Maps {@code key} to {@code value} ({@code >= 0}), replacing any earlier value. */
    void put(long key, int value) {
        if (2 * (size + 1) > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = hash(key) & mask;
        while (values[i] != ABSENT && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (values[i] == ABSENT) {
            size++;
        }
        keys[i] = key;
        values[i] = value;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(values, ABSENT);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != ABSENT) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int hash(long key) {
        key ^= key >>> 33;
        key *= 0xff51afd7ed558ccdL;
        key ^= key >>> 33;
        return (int) key;
    }
}
