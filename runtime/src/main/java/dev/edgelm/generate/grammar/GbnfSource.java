package dev.edgelm.generate.grammar;

/** The text of a GBNF grammar, for error messages that point at a line and column. */
record GbnfSource(String text) {

    /** {@code line:column} of {@code offset}, both from 1, the column counted in code points. */
    String position(int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = text.codePointCount(lineStart, Math.min(offset, text.length())) + 1;
        return line + ":" + column;
    }

    /** An error at {@code offset}: "grammar error at LINE:COLUMN: message". */
    GrammarException error(int offset, String message) {
        return new GrammarException("grammar error at " + position(offset) + ": " + message);
    }
}
