package dev.edgelm.generate.grammar;

/**
 * The grammar of the JSON text inside a string's quotes, with the length range (in code points) of the strings it
 * stands for, so that {@code minLength}/{@code maxLength} can be checked against a pattern or a format.
 *
 * @param grammar   the JSON encodings of the strings, quotes excluded
 * @param minLength the fewest code points
 * @param maxLength the most code points, or -1 for no limit
 */
record StringShape(GbnfExpr grammar, int minLength, int maxLength) {
}
