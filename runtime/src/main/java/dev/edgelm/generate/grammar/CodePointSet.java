package dev.edgelm.generate.grammar;

import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of Unicode code points ({@code 0..0x10FFFF}): what one terminal of a GBNF grammar matches, or what
 * one character of a JSON Schema string may be. Stored as sorted, disjoint, non-adjacent inclusive ranges, so equal
 * sets are equal objects and can be shared.
 */
final class CodePointSet {
    static final CodePointSet EMPTY = new CodePointSet(new int[0]);
    /** Every code point: GBNF's {@code .}. */
    static final CodePointSet ALL = new CodePointSet(new int[] {0, Character.MAX_CODE_POINT});

    /** {@code lo0, hi0, lo1, hi1, ...}, sorted, with {@code lo(i+1) > hi(i) + 1}. */
    private final int[] ranges;

    private CodePointSet(int[] ranges) {
        this.ranges = ranges;
    }

    /** The code points {@code from..to} (inclusive). */
    static CodePointSet range(int from, int to) {
        return ofRanges(new int[] {from, to});
    }

    /** The given code points, in any order. */
    static CodePointSet of(int... codePoints) {
        int[] pairs = new int[2 * codePoints.length];
        for (int i = 0; i < codePoints.length; i++) {
            pairs[2 * i] = codePoints[i];
            pairs[2 * i + 1] = codePoints[i];
        }
        return ofRanges(pairs);
    }

    /** The code points of a string. */
    static CodePointSet of(String chars) {
        return of(chars.codePoints().toArray());
    }

    /**
     * The union of the inclusive ranges {@code pairs[2i]..pairs[2i+1]}, in any order, overlapping or not.
     *
     * @throws IllegalArgumentException if a range is empty or reaches outside {@code 0..0x10FFFF}
     */
    static CodePointSet ofRanges(int[] pairs) {
        int n = pairs.length / 2;
        long[] sorted = new long[n];
        for (int i = 0; i < n; i++) {
            int lo = pairs[2 * i];
            int hi = pairs[2 * i + 1];
            if (lo < 0 || hi > Character.MAX_CODE_POINT || lo > hi) {
                throw new IllegalArgumentException("bad code point range " + lo + ".." + hi);
            }
            // Packed so that a primitive sort orders the ranges by start, without boxing.
            sorted[i] = ((long) lo << 32) | hi;
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
        return new CodePointSet(Arrays.copyOf(merged, m));
    }

    /** The union of {@code sets}. */
    static CodePointSet union(List<CodePointSet> sets) {
        int total = 0;
        for (CodePointSet set : sets) {
            total += set.ranges.length;
        }
        int[] pairs = new int[total];
        int at = 0;
        for (CodePointSet set : sets) {
            System.arraycopy(set.ranges, 0, pairs, at, set.ranges.length);
            at += set.ranges.length;
        }
        return ofRanges(pairs);
    }

    CodePointSet union(CodePointSet other) {
        return union(List.of(this, other));
    }

    /** Every code point not in this set. */
    CodePointSet complement() {
        int[] out = new int[ranges.length + 2];
        int n = 0;
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                out[n++] = next;
                out[n++] = ranges[i] - 1;
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= Character.MAX_CODE_POINT) {
            out[n++] = next;
            out[n++] = Character.MAX_CODE_POINT;
        }
        return new CodePointSet(Arrays.copyOf(out, n));
    }

    CodePointSet intersect(CodePointSet other) {
        return complement().union(other.complement()).complement();
    }

    CodePointSet minus(CodePointSet other) {
        return intersect(other.complement());
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

    boolean isEmpty() {
        return ranges.length == 0;
    }

    /** How many code points. */
    long size() {
        long size = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            size += ranges[i + 1] - ranges[i] + 1;
        }
        return size;
    }

    /** The smallest code point; the set must not be empty. */
    int first() {
        return ranges[0];
    }

    int rangeCount() {
        return ranges.length / 2;
    }

    int rangeStart(int i) {
        return ranges[2 * i];
    }

    int rangeEnd(int i) {
        return ranges[2 * i + 1];
    }

    /** Where membership changes: each range's first code point and the one after its last. */
    int[] boundaries() {
        int[] out = ranges.clone();
        for (int i = 1; i < out.length; i += 2) {
            out[i]++;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodePointSet other && Arrays.equals(ranges, other.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    /**
     * As GBNF writes it, for messages: {@code "a"} for one character, {@code .} for any, else a class such as
     * {@code [0-9a-f]}. The JSON Schema converter's output is rendered by {@link GbnfExpr} in its own, shortest form.
     */
    @Override
    public String toString() {
        if (equals(ALL)) {
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
