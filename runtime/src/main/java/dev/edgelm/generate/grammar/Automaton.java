package dev.edgelm.generate.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Program} one code point at a time, as a pushdown automaton over sets of stacks (llama.cpp's scheme):
 * a stack is a terminal to match next on top of the return positions of the rules it is inside, and the state
 * after some text is the set of stacks that text can leave, so ambiguity costs no backtracking.
 *
 * <p>Everything is interned: a stack is a node (position, the node below), shared by every stack with the same
 * bottom; a state is a number standing for a sorted set of nodes plus whether the text so far is a complete
 * sentence. Transitions are memoised, so text that walks through the same states again (the inside of a string, a
 * token trie walked for a mask) costs an array look-up per code point, not a parse: per state, a table for ASCII,
 * and above it one entry per interval of code points that the state's terminals treat alike (inside a JSON string,
 * a single interval covers every non-ASCII character). Memory grows with the distinct states seen; one automaton
 * serves one generation.
 *
 * <p>Not thread-safe.
 */
final class Automaton {
    /** The state with no stacks that is not accepting: nothing can follow, and the text so far is not a sentence. */
    static final int DEAD = 0;
    private static final int NO_NODE = -1;
    private static final int UNKNOWN = -1;

    private final int[] code;
    private final int[][] alternatives;
    private final CodePointSet[] charSets;

    private int[] nodePosition = new int[64];
    private int[] nodeBelow = new int[64];
    private int nodes;
    private final LongIntMap nodeIds = new LongIntMap();

    private int[][] stateNodes = new int[16][];
    private boolean[] accepting = new boolean[16];
    private int[][] asciiNext = new int[16][];
    /**
     * Per state, the code points from 128 up cut into intervals in each of which the same stack tops match (so
     * every code point of an interval has the same successor): the intervals' first code points, sorted.
     */
    private int[][] intervalStarts = new int[16][];
    /** Per state and interval, the successor, or {@link #UNKNOWN} until first needed. */
    private int[][] intervalNext = new int[16][];
    private CodePointSet[] firstSets = new CodePointSet[16];
    private int states;
    private final Map<StateKey, Integer> stateIds = new HashMap<>();
    private final int start;

    Automaton(Program program) {
        this.code = program.code();
        this.alternatives = program.alternatives();
        this.charSets = program.charSets();
        intern(new int[0], 0, false); // DEAD
        Successors successors = new Successors();
        for (int alternative : alternatives[program.root()]) {
            successors.expand(alternative, NO_NODE);
        }
        start = successors.state();
    }

    /** The state before any text. */
    int start() {
        return start;
    }

    /** The state after {@code codePoint} follows the text of {@code state}; {@link #DEAD} if it cannot. */
    int next(int state, int codePoint) {
        if (state == DEAD) {
            return DEAD;
        }
        if (codePoint < 128) {
            int[] row = asciiNext[state];
            if (row == null) {
                row = new int[128];
                Arrays.fill(row, UNKNOWN);
                asciiNext[state] = row;
            }
            int next = row[codePoint];
            if (next == UNKNOWN) {
                next = successor(state, codePoint);
                row[codePoint] = next; // the row is still this state's: arrays grow, rows stay
            }
            return next;
        }
        int[] starts = intervalStarts[state];
        if (starts == null) {
            starts = intervals(state);
            intervalStarts[state] = starts;
            int[] unknown = new int[starts.length];
            Arrays.fill(unknown, UNKNOWN);
            intervalNext[state] = unknown;
        }
        int interval = Arrays.binarySearch(starts, codePoint);
        interval = interval >= 0 ? interval : -interval - 2;
        int[] row = intervalNext[state];
        int next = row[interval];
        if (next == UNKNOWN) {
            next = successor(state, codePoint);
            row[interval] = next;
        }
        return next;
    }

    /** The first code points of the intervals from 128 up in which the same stack tops of {@code state} match. */
    private int[] intervals(int state) {
        int[] points = new int[8];
        int count = 0;
        points[count++] = 128;
        for (int node : stateNodes[state]) {
            for (int boundary : charSets[code[nodePosition[node]]].boundaries()) {
                if (boundary > 128 && boundary <= Character.MAX_CODE_POINT) {
                    if (count == points.length) {
                        points = Arrays.copyOf(points, count * 2);
                    }
                    points[count++] = boundary;
                }
            }
        }
        return Arrays.stream(points, 0, count).sorted().distinct().toArray();
    }

    /** Whether the text of {@code state} is a complete sentence of the grammar. */
    boolean isAccepting(int state) {
        return accepting[state];
    }

    /** Whether some code point can follow the text of {@code state}. */
    boolean canContinue(int state) {
        return stateNodes[state].length > 0;
    }

    /** Whether some code point in {@code low..high} can follow the text of {@code state}. */
    boolean canContinueWithin(int state, int low, int high) {
        return firstSet(state).intersects(low, high);
    }

    /** The code points that can follow the text of {@code state}. */
    CodePointSet firstSet(int state) {
        CodePointSet set = firstSets[state];
        if (set == null) {
            List<CodePointSet> tops = new ArrayList<>();
            for (int node : stateNodes[state]) {
                tops.add(charSets[code[nodePosition[node]]]);
            }
            set = CodePointSet.union(tops);
            firstSets[state] = set;
        }
        return set;
    }

    private int successor(int state, int codePoint) {
        Successors successors = new Successors();
        for (int node : stateNodes[state]) {
            int position = nodePosition[node];
            if (charSets[code[position]].contains(codePoint)) {
                successors.expand(position + 1, nodeBelow[node]);
            }
        }
        return successors.state();
    }

    /** The node for a stack with {@code position} on top of {@code below}. */
    private int node(int position, int below) {
        long key = (long) position << 32 | (below + 1);
        int id = nodeIds.get(key);
        if (id == LongIntMap.ABSENT) {
            if (nodes == nodePosition.length) {
                nodePosition = Arrays.copyOf(nodePosition, nodes * 2);
                nodeBelow = Arrays.copyOf(nodeBelow, nodes * 2);
            }
            id = nodes++;
            nodePosition[id] = position;
            nodeBelow[id] = below;
            nodeIds.put(key, id);
        }
        return id;
    }

    /** The state for the sorted, distinct {@code nodes[0..count)}. */
    private int intern(int[] nodes, int count, boolean accepts) {
        if (count == 0 && !accepts && states > 0) {
            return DEAD;
        }
        StateKey key = new StateKey(Arrays.copyOf(nodes, count), accepts);
        Integer id = stateIds.get(key);
        if (id != null) {
            return id;
        }
        if (states == stateNodes.length) {
            int capacity = states * 2;
            stateNodes = Arrays.copyOf(stateNodes, capacity);
            accepting = Arrays.copyOf(accepting, capacity);
            asciiNext = Arrays.copyOf(asciiNext, capacity);
            intervalStarts = Arrays.copyOf(intervalStarts, capacity);
            intervalNext = Arrays.copyOf(intervalNext, capacity);
            firstSets = Arrays.copyOf(firstSets, capacity);
        }
        stateNodes[states] = key.nodes();
        accepting[states] = accepts;
        stateIds.put(key, states);
        return states++;
    }

    /** A state's identity: its stacks' top nodes and whether it accepts. */
    private record StateKey(int[] nodes, boolean accepts) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StateKey other && accepts == other.accepts && Arrays.equals(nodes, other.nodes);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(nodes) + (accepts ? 1 : 0);
        }
    }

    /**
     * The stacks reachable from some (position, stack below) pairs without reading a character: rule references
     * are entered (pushing the position after them, unless that ends the alternative), finished alternatives pop,
     * and terminals are where the stacks stop. Pairs already seen are skipped, which ends the cycles that
     * references in last position can make.
     */
    private final class Successors {
        private final LongIntMap seen = new LongIntMap();
        private int[] work = new int[32];
        private int pending;
        private int[] tops = new int[8];
        private int count;
        private boolean accepts;

        void expand(int position, int below) {
            push(position, below);
            while (pending > 0) {
                pending -= 2;
                int p = work[pending];
                int b = work[pending + 1];
                long key = (long) p << 32 | (b + 1);
                if (seen.get(key) != LongIntMap.ABSENT) {
                    continue;
                }
                seen.put(key, 0);
                int symbol = code[p];
                if (symbol == Program.END) {
                    if (b == NO_NODE) {
                        accepts = true;
                    } else {
                        push(nodePosition[b], nodeBelow[b]);
                    }
                } else if (symbol >= 0) {
                    if (count == tops.length) {
                        tops = Arrays.copyOf(tops, count * 2);
                    }
                    tops[count++] = node(p, b);
                } else {
                    int back = code[p + 1] == Program.END ? b : node(p + 1, b);
                    for (int alternative : alternatives[Program.rule(symbol)]) {
                        push(alternative, back);
                    }
                }
            }
        }

        private void push(int position, int below) {
            if (pending + 2 > work.length) {
                work = Arrays.copyOf(work, work.length * 2);
            }
            work[pending++] = position;
            work[pending++] = below;
        }

        /** The state these stacks make. */
        int state() {
            Arrays.sort(tops, 0, count);
            int distinct = 0;
            for (int i = 0; i < count; i++) {
                if (distinct == 0 || tops[distinct - 1] != tops[i]) {
                    tops[distinct++] = tops[i];
                }
            }
            return intern(tops, distinct, accepts);
        }
    }
}
