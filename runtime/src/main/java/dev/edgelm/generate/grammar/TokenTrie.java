package dev.edgelm.generate.grammar;

import dev.edgelm.tokenizer.TokenType;
import dev.edgelm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes of a vocabulary's text tokens as a trie, for computing which tokens a grammar allows: a walk visits
 * each shared prefix once and skips a whole subtree as soon as its prefix is rejected. Built once per tokenizer
 * ({@link Tokenizer#derived}); immutable and thread-safe.
 *
 * <p>Text tokens are those that put their bytes into the generated text: not control or unknown tokens (the
 * session's decoder hides them), not end-of-generation tokens (the constraint treats them apart), and not tokens
 * with no bytes (unused slots), which would let a generation run on forever without moving the grammar on.
 *
 * <p>The nodes are stored in depth-first pre-order in flat arrays, so that a walk is a loop over indices: node
 * {@code i}'s children follow it, and {@code skip[i]} is the first node after its subtree.
 */
final class TokenTrie {
    /** A cursor from which nothing can follow. Live cursors are never negative. */
    static final long DEAD = -1;

    /** Moves a walk's cursor over one byte; returns {@link #DEAD} where nothing can follow. */
    @FunctionalInterface
    interface Step {
        long step(long cursor, int b);
    }

    private final int vocabularySize;
    /** Per token, its bytes if it is a text token, else null. */
    private final byte[][] tokenBytes;
    private final int[] endOfGeneration;

    private final byte[] labels;
    private final int[] depths;
    private final int[] skip;
    /** The tokens ending at node {@code i} are {@code tokens[tokenFrom[i] .. tokenFrom[i + 1])}. */
    private final int[] tokenFrom;
    private final int[] tokens;
    private final int maxDepth;

    /** The trie of {@code tokenizer}'s text tokens. */
    TokenTrie(Tokenizer tokenizer) {
        vocabularySize = tokenizer.vocabularySize();
        tokenBytes = new byte[vocabularySize][];
        List<Integer> ends = new ArrayList<>();
        List<Integer> text = new ArrayList<>();
        for (int id = 0; id < vocabularySize; id++) {
            TokenType type = tokenizer.tokenType(id);
            if (tokenizer.isEndOfGeneration(id)) {
                ends.add(id);
            } else if (type != TokenType.CONTROL && type != TokenType.UNKNOWN) {
                byte[] bytes = tokenizer.tokenBytes(id);
                if (bytes.length > 0) {
                    tokenBytes[id] = bytes;
                    text.add(id);
                }
            }
        }
        endOfGeneration = ends.stream().mapToInt(Integer::intValue).toArray();
        tokens = text.stream()
                .sorted((a, b) -> {
                    int order = Arrays.compareUnsigned(tokenBytes[a], tokenBytes[b]);
                    return order != 0 ? order : Integer.compare(a, b);
                })
                .mapToInt(Integer::intValue).toArray();

        // Sorted, each token shares its longest common prefix with the one before: only the rest is new nodes.
        int capacity = 1;
        for (int id : tokens) {
            capacity += tokenBytes[id].length;
        }
        byte[] label = new byte[capacity];
        int[] depth = new int[capacity];
        int[] after = new int[capacity];
        int[] tokenNode = new int[tokens.length];
        int[] open = new int[1];
        int nodes = 0;
        int deepest = 0;
        byte[] previous = new byte[0];
        for (int k = 0; k < tokens.length; k++) {
            byte[] bytes = tokenBytes[tokens[k]];
            int common = Arrays.mismatch(previous, bytes);
            common = common < 0 ? bytes.length : common;
            if (bytes.length > open.length - 1) {
                open = Arrays.copyOf(open, bytes.length + 1);
            }
            if (common < bytes.length) {
                for (int d = deepest; d > common; d--) { // close the subtrees this token leaves
                    after[open[d]] = nodes;
                }
                for (int d = common + 1; d <= bytes.length; d++) {
                    label[nodes] = bytes[d - 1];
                    depth[nodes] = d;
                    open[d] = nodes++;
                }
                deepest = bytes.length;
            }
            tokenNode[k] = open[bytes.length];
            previous = bytes;
        }
        for (int d = deepest; d >= 1; d--) {
            after[open[d]] = nodes;
        }
        labels = Arrays.copyOf(label, nodes);
        depths = Arrays.copyOf(depth, nodes);
        skip = Arrays.copyOf(after, nodes);
        tokenFrom = new int[nodes + 1];
        for (int i = 0, k = 0; i <= nodes; i++) {
            while (k < tokens.length && tokenNode[k] < i) {
                k++;
            }
            tokenFrom[i] = k;
        }
        maxDepth = Arrays.stream(depths).max().orElse(0);
    }

    int vocabularySize() {
        return vocabularySize;
    }

    /** The token's bytes if it is a text token, else null. Not a copy: do not change it. */
    byte[] textBytes(int token) {
        return tokenBytes[token];
    }

    /** The end-of-generation tokens. Not a copy: do not change it. */
    int[] endOfGeneration() {
        return endOfGeneration;
    }

    /** Nodes in the trie. */
    int nodes() {
        return labels.length;
    }

    /**
     * Sets in {@code allowed} (a bit set of the vocabulary, as {@link java.util.BitSet#toLongArray} lays it out)
     * the bit of every text token whose bytes, stepped one by one from {@code start}, never reach {@link #DEAD}.
     */
    void walk(long start, Step step, long[] allowed) {
        long[] cursors = new long[maxDepth + 1];
        cursors[0] = start;
        for (int i = 0; i < labels.length; ) {
            int d = depths[i];
            long cursor = step.step(cursors[d - 1], labels[i] & 0xFF);
            if (cursor == DEAD) {
                i = skip[i];
                continue;
            }
            cursors[d] = cursor;
            for (int k = tokenFrom[i]; k < tokenFrom[i + 1]; k++) {
                int token = tokens[k];
                allowed[token >>> 6] |= 1L << token;
            }
            i++;
        }
    }
}
