/**
 * Constrained decoding: generated text that must follow a grammar.
 *
 * <p>A {@link dev.edgelm.generate.grammar.Grammar} is a GBNF grammar (llama.cpp's format), parsed and checked once:
 * malformed grammars, undefined rules, left recursion and rules that can never finish are
 * {@link dev.edgelm.generate.grammar.GrammarException}s with a line and column, before anything is generated. It is
 * immutable and shared; a generation runs a {@link dev.edgelm.generate.grammar.GrammarConstraint} over it, which
 * says which tokens keep the text a valid prefix and moves on token by token.
 *
 * <p>Inside: the grammar compiles to a flat program of rules ({@code Program}); an {@code Automaton} runs it one
 * code point at a time as a set of interned stacks, with memoised transitions; a {@code TokenTrie} of the
 * vocabulary's bytes, built once per tokenizer, lets one walk decide every token at once, carrying partial UTF-8
 * characters between bytes ({@code Utf8}). See {@code docs/structured-output.md}.
 */
package dev.edgelm.generate.grammar;
