package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** An immutable set of Unicode code points, kept as sorted, disjoint, non-adjacent inclusive ranges. */
final class CodePointSet {
    static final int MAX = Character.MAX_CODE_POINT;
    static final CodePointSet EMPTY = new CodePointSet(new int[0]);
    static final CodePointSet ALL = range(0, MAX);

    /** Start and end (inclusive) of each range, in order. */
    private final int[] bounds;

    private CodePointSet(int[] bounds) {
        this.bounds = bounds;
    }

    static CodePointSet range(int from, int to) {
        if (from < 0 || to > MAX || from > to) {
            throw new IllegalArgumentException("bad code point range " + from + ".." + to);
        }
        return new CodePointSet(new int[] {from, to});
    }

    static CodePointSet of(int... codePoints) {
        CodePointSet set = EMPTY;
        for (int c : codePoints) {
            set = set.union(range(c, c));
        }
        return set;
    }

    /** The code points of a string. */
    static CodePointSet of(String chars) {
        return of(chars.codePoints().toArray());
    }

    CodePointSet union(CodePointSet other) {
        List<int[]> ranges = new ArrayList<>();
        for (CodePointSet s : List.of(this, other)) {
            for (int i = 0; i < s.rangeCount(); i++) {
                ranges.add(new int[] {s.rangeStart(i), s.rangeEnd(i)});
            }
        }
        ranges.sort(Comparator.comparingInt(r -> r[0]));
        int[] out = new int[ranges.size() * 2];
        int n = 0;
        for (int[] r : ranges) {
            if (n > 0 && r[0] <= out[n - 1] + 1) {
                out[n - 1] = Math.max(out[n - 1], r[1]);
            } else {
                out[n++] = r[0];
                out[n++] = r[1];
            }
        }
        return new CodePointSet(Arrays.copyOf(out, n));
    }

    CodePointSet complement() {
        int[] out = new int[bounds.length + 2];
        int n = 0;
        int next = 0;
        for (int i = 0; i < rangeCount(); i++) {
            if (rangeStart(i) > next) {
                out[n++] = next;
                out[n++] = rangeStart(i) - 1;
            }
            next = rangeEnd(i) + 1;
        }
        if (next <= MAX) {
            out[n++] = next;
            out[n++] = MAX;
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
        for (int i = 0; i < rangeCount(); i++) {
            if (c >= rangeStart(i) && c <= rangeEnd(i)) {
                return true;
            }
        }
        return false;
    }

    boolean isEmpty() {
        return bounds.length == 0;
    }

    /** How many code points. */
    long size() {
        long size = 0;
        for (int i = 0; i < rangeCount(); i++) {
            size += rangeEnd(i) - rangeStart(i) + 1;
        }
        return size;
    }

    /** The smallest code point; the set must not be empty. */
    int first() {
        return bounds[0];
    }

    int rangeCount() {
        return bounds.length / 2;
    }

    int rangeStart(int i) {
        return bounds[2 * i];
    }

    int rangeEnd(int i) {
        return bounds[2 * i + 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodePointSet s && Arrays.equals(bounds, s.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < rangeCount(); i++) {
            out.append(i > 0 ? ", " : "").append(Integer.toHexString(rangeStart(i)));
            if (rangeEnd(i) > rangeStart(i)) {
                out.append('-').append(Integer.toHexString(rangeEnd(i)));
            }
        }
        return out.append('}').toString();
    }
}
