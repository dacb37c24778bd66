package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of Unicode code points ({@code 0..0x10FFFF}): what one terminal of a grammar matches. Stored as
 * sorted, disjoint, non-adjacent inclusive ranges, so equal sets are equal objects and can be shared.
 */
final class CharSet {
    /** The largest code point. */
    static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;
    /** Every code point: {@code .}. */
    static final CharSet ANY = new CharSet(new int[] {0, MAX_CODE_POINT});

    /** {@code lo0, hi0, lo1, hi1, ...}, sorted, with {@code lo(i+1) > hi(i) + 1}. */
    private final int[] ranges;

    private CharSet(int[] ranges) {
        this.ranges = ranges;
    }

    /** The single code point {@code c}. */
    static CharSet of(int c) {
        return new CharSet(new int[] {c, c});
    }

    /** The union of the inclusive ranges {@code pairs[2i]..pairs[2i+1]} (each with {@code lo <= hi}), in any order. */
    static CharSet ofRanges(int[] pairs) {
        int n = pairs.length / 2;
        long[] sorted = new long[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = ((long) pairs[2 * i] << 32) | pairs[2 * i + 1];
        }
        Arrays.sort(sorted);
        int[] merged = new int[2 * n];
        int m = 0;
        for (long range : sorted) {
            int lo = (int) (range >>> 32);
            int hi = (int) range;
            if (m > 0 && lo <= merged[m - 1] + 1) {
                merged[m - 1] = Math.max(merged[m - 1], hi);
            } else {
                merged[m++] = lo;
                merged[m++] = hi;
            }
        }
        return new CharSet(Arrays.copyOf(merged, m));
    }

    /** The union of {@code sets}. */
    static CharSet union(List<CharSet> sets) {
        int total = 0;
        for (CharSet set : sets) {
            total += set.ranges.length;
        }
        int[] pairs = new int[total];
        int at = 0;
        for (CharSet set : sets) {
            System.arraycopy(set.ranges, 0, pairs, at, set.ranges.length);
            at += set.ranges.length;
        }
        return ofRanges(pairs);
    }

    /** Every code point not in this set. */
    CharSet complement() {
        List<Integer> out = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                out.add(next);
                out.add(ranges[i] - 1);
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX_CODE_POINT) {
            out.add(next);
            out.add(MAX_CODE_POINT);
        }
        return new CharSet(out.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Where membership changes: each range's first code point and the one after its last. */
    int[] boundaries() {
        int[] out = ranges.clone();
        for (int i = 1; i < out.length; i += 2) {
            out[i]++;
        }
        return out;
    }

    boolean isEmpty() {
        return ranges.length == 0;
    }

    boolean contains(int c) {
        return intersects(c, c);
    }

    /** Whether some code point in {@code lo..hi} (inclusive) is in the set. */
    boolean intersects(int lo, int hi) {
        // The first range that ends at or after lo decides.
        int a = 0;
        int b = ranges.length / 2;
        while (a < b) {
            int mid = (a + b) >>> 1;
            if (ranges[2 * mid + 1] < lo) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        return a < ranges.length / 2 && ranges[2 * a] <= hi;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharSet other && Arrays.equals(ranges, other.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    /** As GBNF writes it: {@code "a"} for one character, {@code .} for any, else a class such as {@code [0-9a-f]}. */
    @Override
    public String toString() {
        if (equals(ANY)) {
            return ".";
        }
        if (ranges.length == 2 && ranges[0] == ranges[1]) {
            return "\"" + escape(ranges[0], '"') + "\"";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ranges.length; i += 2) {
            sb.append(escape(ranges[i], ']'));
            if (ranges[i + 1] > ranges[i]) {
                sb.append(ranges[i + 1] > ranges[i] + 1 ? "-" : "").append(escape(ranges[i + 1], ']'));
            }
        }
        return sb.append(']').toString();
    }

    /** {@code c} as it would be written inside a GBNF string (closed by {@code "}) or class (closed by {@code ]}). */
    static String escape(int c, char quote) {
        switch (c) {
            case '\n' -> {
                return "\\n";
            }
            case '\r' -> {
                return "\\r";
            }
            case '\t' -> {
                return "\\t";
            }
            case '\\' -> {
                return "\\\\";
            }
            default -> { }
        }
        if (c == quote || (quote == ']' && (c == '[' || c == '-'))) {
            return "\\" + (char) c;
        }
        if (quote == ']' && c == '^') {
            return "\\x5E"; // GBNF has no \^, and a leading ^ would negate the class
        }
        int type = Character.getType(c);
        boolean invisible = type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
                || type == Character.SURROGATE || type == Character.PRIVATE_USE || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
        if (!invisible) {
            return Character.toString(c);
        }
        if (c <= 0xFF) {
            return String.format("\\x%02X", c);
        }
        return c <= 0xFFFF ? String.format("\\u%04X", c) : String.format("\\U%08X", c);
    }
}
