package dev.edgelm.generate.grammar;

/**
 * A compiled grammar, the form the {@link Automaton} runs: every alternative of every rule (named rules, then the
 * rules made for groups and repetitions) laid out in one array of symbols, each alternative ending with
 * {@link #END}. A symbol {@code >= 0} is a terminal, the index of its {@link CodePointSet}; a negative one other than
 * {@code END} refers to a rule ({@link #ref}).
 *
 * @param code         the symbols
 * @param alternatives per rule, where each of its alternatives starts in {@code code}
 * @param charSets     the terminals' character sets, each distinct set once
 * @param root         the start rule
 */
record Program(int[] code, int[][] alternatives, CodePointSet[] charSets, int root) {
    /** Ends an alternative. */
    static final int END = Integer.MIN_VALUE;

    /** The symbol that refers to rule {@code rule}. */
    static int ref(int rule) {
        return -rule - 1;
    }

    /** The rule a reference symbol refers to. */
    static int rule(int symbol) {
        return -symbol - 1;
    }
}
