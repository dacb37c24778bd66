package dev.edgelm.generate.grammar;

/**
 * A grammar that generated text must follow, written in GBNF, llama.cpp's grammar format: rules
 * {@code name ::= ...} starting from {@code root}, alternatives {@code |}, groups {@code ( )}, repetition
 * {@code * + ? {m} {m,} {m,n} {,n}}, string literals, character classes {@code [a-z] [^"\\]}, {@code .} for any
 * character, and {@code #} comments (the full syntax is in {@code docs/structured-output.md}). Grammars match
 * Unicode code points.
 *
 * <p>Immutable and thread-safe: a grammar is a specification, parsed and checked once and shared by any number of
 * requests; each generation runs its own matcher over it ({@link GrammarConstraint}).
 */
public final class Grammar {
    private final String source;
    private final Program program;

    private Grammar(String source, Program program) {
        this.source = source;
        this.program = program;
    }

    /**
     * Parses and checks a GBNF grammar whose start rule is {@code root}.
     *
     * @throws GrammarException if it is malformed or cannot be used: a syntax error, an undefined rule, no
     *     {@code root}, left recursion, a rule that can never finish; the message gives the line and column
     */
    public static Grammar parse(String gbnf) {
        GbnfSource source = new GbnfSource(gbnf);
        return new Grammar(gbnf, Compiler.compile(source, GbnfParser.parse(source)));
    }

    /** Whether {@code text} as a whole is a sentence of this grammar. */
    public boolean accepts(String text) {
        Automaton automaton = automaton();
        int state = run(automaton, text);
        return automaton.isAccepting(state);
    }

    /** Whether some text (maybe none) can follow {@code text} to make a sentence of this grammar. */
    public boolean acceptsPrefix(String text) {
        return run(automaton(), text) != Automaton.DEAD;
    }

    /** A fresh matcher's automaton: its memo tables belong to one user at a time. */
    Automaton automaton() {
        return new Automaton(program);
    }

    private static int run(Automaton automaton, String text) {
        int state = automaton.start();
        for (int i = 0; i < text.length() && state != Automaton.DEAD; ) {
            int c = text.codePointAt(i);
            state = automaton.next(state, c);
            i += Character.charCount(c);
        }
        return state;
    }

    /** The GBNF text this grammar was parsed from. */
    @Override
    public String toString() {
        return source;
    }
}
