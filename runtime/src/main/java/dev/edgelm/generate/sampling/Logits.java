package dev.edgelm.generate.sampling;

import java.util.Arrays;

/**
 * Allocation-free helpers over logit vectors: ranking keys, partial selection, argmax and log-sum-exp.
 *
 * <p>A <em>key</em> packs a logit and a token id into one {@code long} whose natural (signed) order is the ranking
 * the sampler uses everywhere: higher logit first, and for equal logits the lower token id first. Sorting or
 * selecting keys therefore needs no comparator objects and gives the same order on every run.
 */
final class Logits {
    private Logits() {
    }

    /** The ranking key of {@code logit} (not NaN) for token {@code id} ({@code >= 0}): smaller key, better rank. */
    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0.0f); // -0.0 -> +0.0, so that equal logits tie
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // signed order of ints == order of floats
        return ((long) ~ascending << 32) | (id & 0xffffffffL);
    }

    /** The token id of a {@link #key}. */
    static int id(long key) {
        return (int) key;
    }

    /** The logit of a {@link #key}. */
    static float logit(long key) {
        int ascending = ~(int) (key >>> 32);
        return Float.intBitsToFloat(ascending ^ ((ascending >> 31) & 0x7fffffff));
    }

    /** The one-line message for a logit the sampler cannot use. */
    static IllegalArgumentException badLogit(int id, float value) {
        return new IllegalArgumentException(
                "logit of token " + id + " is " + value + " (logits must be finite or -Infinity)");
    }

    static IllegalArgumentException allBanned(int n) {
        return new IllegalArgumentException(
                "all " + n + " logits are -Infinity (is every token banned by logit_bias?): nothing to sample");
    }

    /**
     * The lowest id among the highest logits of {@code logits[0..n)}.
     *
     * @throws IllegalArgumentException if a logit is NaN or +Infinity, or all are -Infinity
     */
    static int argmax(float[] logits, int n) {
        int best = -1;
        float bestLogit = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float l = logits[i];
            if (l > bestLogit) {
                if (l == Float.POSITIVE_INFINITY) {
                    throw badLogit(i, l);
                }
                bestLogit = l;
                best = i;
            } else if (l != l) {
                throw badLogit(i, l);
            }
        }
        if (best < 0) {
            throw allBanned(n);
        }
        return best;
    }

    /**
     * The {@code k} best-ranked tokens of {@code logits[0..n)}, skipping -Infinity, written as keys to
     * {@code out[0..count)} best first; returns count ({@code min(k, number of finite logits)}).
     * O(n log k) with a bounded max-heap in {@code out}; nothing is allocated.
     *
     * @throws IllegalArgumentException if a logit is NaN or +Infinity
     */
    static int selectTop(float[] logits, int n, int k, long[] out) {
        if (k <= 0) {
            return 0;
        }
        int size = 0;
        float rootLogit = Float.NEGATIVE_INFINITY; // logit of the worst key kept, once the heap is full
        for (int i = 0; i < n; i++) {
            float l = logits[i];
            if (l != l || l == Float.POSITIVE_INFINITY) {
                throw badLogit(i, l);
            }
            if (l == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (size < k) {
                out[size++] = key(l, i);
                if (size == k) {
                    heapify(out, k);
                    rootLogit = logit(out[0]);
                }
            } else if (l >= rootLogit) {
                long key = key(l, i);
                if (key < out[0]) {
                    out[0] = key;
                    siftDown(out, 0, k);
                    rootLogit = logit(out[0]);
                }
            }
        }
        Arrays.sort(out, 0, size);
        return size;
    }

    /**
     * Reorders {@code keys[0..n)} so that {@code keys[0..m)} are its {@code m} smallest keys in ascending order (the
     * rest follow in some order). O(n log m); a plain sort when {@code m >= n}.
     */
    static void selectPrefix(long[] keys, int n, int m) {
        if (m >= n) {
            Arrays.sort(keys, 0, n);
            return;
        }
        if (m <= 0) {
            return;
        }
        heapify(keys, m);
        for (int i = m; i < n; i++) {
            long key = keys[i];
            if (key < keys[0]) {
                keys[i] = keys[0];
                keys[0] = key;
                siftDown(keys, 0, m);
            }
        }
        Arrays.sort(keys, 0, m);
    }

    /**
     * {@code log(sum(exp(logits[i])))} over {@code logits[0..n)}, computed stably (the maximum is subtracted first,
     * the sum is kept in double). -Infinity entries contribute nothing.
     *
     * @throws IllegalArgumentException if a logit is NaN or +Infinity, or all are -Infinity
     */
    static double logSumExp(float[] logits, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float l = logits[i];
            if (l != l || l == Float.POSITIVE_INFINITY) {
                throw badLogit(i, l);
            }
            if (l > max) {
                max = l;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw allBanned(n);
        }
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) logits[i] - max);
        }
        return max + Math.log(sum);
    }

    /** Turns {@code a[0..n)} into a max-heap. */
    private static void heapify(long[] a, int n) {
        for (int i = (n >>> 1) - 1; i >= 0; i--) {
            siftDown(a, i, n);
        }
    }

    private static void siftDown(long[] a, int i, int n) {
        long x = a[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && a[child + 1] > a[child]) {
                child++;
            }
            if (a[child] <= x) {
                break;
            }
            a[i] = a[child];
            i = child;
        }
        a[i] = x;
    }
}
