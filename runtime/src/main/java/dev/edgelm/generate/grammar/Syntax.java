package dev.edgelm.generate.grammar;

import java.util.List;

/**
 * A GBNF grammar as written, before compilation: its rules, their alternatives and items, each with its offset in
 * the source so that errors found later (an undefined rule, left recursion) can say where.
 */
final class Syntax {
    /** {@link Repeat#max()} of {@code *}, {@code +} and {@code {m,}}. */
    static final long UNBOUNDED = -1;

    private Syntax() {
    }

    /** {@code name ::= body}, defined at {@code offset}. */
    record Rule(String name, List<List<Item>> alternatives, int offset) {}

    /** One item of a sequence. */
    sealed interface Item {
        /** Where the item starts in the source. */
        int offset();
    }

    /** A string literal: its code points in order (none for {@code ""}). */
    record Literal(int[] codePoints, int offset) implements Item {}

    /** A character class, or {@code .}. */
    record CharClass(CodePointSet set, int offset) implements Item {}

    /** A reference to the rule called {@code name}. */
    record RuleRef(String name, int offset) implements Item {}

    /** {@code ( ... | ... )}. */
    record Group(List<List<Item>> alternatives, int offset) implements Item {}

    /** {@code item*}, {@code item+}, {@code item?} or {@code item{min,max}}; max is {@link #UNBOUNDED} or >= min. */
    record Repeat(Item item, long min, long max, int offset) implements Item {}
}
