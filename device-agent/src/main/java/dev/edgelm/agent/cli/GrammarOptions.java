package dev.edgelm.agent.cli;

import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.grammar.GrammarException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** How generating commands constrain their output: a GBNF grammar file (docs/structured-output.md). */
final class GrammarOptions {

    @Option(names = "--grammar", paramLabel = "FILE",
            description = "Constrain the output to the GBNF grammar in FILE (start rule root; see "
                    + "docs/structured-output.md); generation ends as soon as the grammar is complete.")
    Path grammarFile;

    /**
     * The grammar the options name, or empty; read and checked before any model is loaded, so that a bad file
     * costs nothing and generates nothing.
     *
     * @throws IOException if the file cannot be read or is not UTF-8
     * @throws GrammarException if the grammar is malformed; the message starts with the file's name
     */
    Optional<Grammar> grammar() throws IOException {
        return grammarFile == null ? Optional.empty() : Optional.of(read(grammarFile));
    }

    /** The GBNF grammar in {@code file}, with errors as {@link #grammar()} reports them. */
    static Grammar read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IOException(file + " is not UTF-8 text", e);
        }
        try {
            return Grammar.parse(text);
        } catch (GrammarException e) {
            throw new GrammarException(file + ": " + e.getMessage());
        }
    }
}
