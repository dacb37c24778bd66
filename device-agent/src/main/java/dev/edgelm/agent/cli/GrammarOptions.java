package dev.edgelm.agent.cli;

import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.grammar.GrammarException;
import dev.edgelm.generate.grammar.JsonSchemaGrammar;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * How generating commands constrain their output: a GBNF grammar file or a JSON Schema file, not both
 * (docs/structured-output.md).
 */
final class GrammarOptions {

    @ArgGroup(exclusive = true)
    Source source;

    /** The two ways to give a grammar; picocli refuses both at once as a usage error. */
    static final class Source {
        @Option(names = "--grammar", paramLabel = "FILE",
                description = "Constrain the output to the GBNF grammar in FILE (start rule root; see "
                        + "docs/structured-output.md); generation ends as soon as the grammar is complete.")
        Path grammarFile;

        @Option(names = "--json-schema", paramLabel = "FILE",
                description = "Constrain the output to JSON that validates against the JSON Schema in FILE "
                        + "(the supported keywords are in docs/structured-output.md); generation ends as soon as "
                        + "the value is complete.")
        Path schemaFile;
    }

    /**
     * The grammar the options name, or empty; read and checked before any model is loaded, so that a bad file
     * costs nothing and generates nothing.
     *
     * @throws IOException if the file cannot be read or is not UTF-8
     * @throws GrammarException if the grammar or schema is malformed or unsatisfiable; the message starts with the
     *     file's name
     */
    Optional<Grammar> grammar() throws IOException {
        if (source == null) {
            return Optional.empty();
        }
        return Optional.of(source.grammarFile != null ? read(source.grammarFile) : readSchema(source.schemaFile));
    }

    /** The grammar or schema file, or null if there is none. */
    Path file() {
        return source == null ? null : source.grammarFile != null ? source.grammarFile : source.schemaFile;
    }

    /** The grammar of the JSON Schema in {@code file}, with errors as {@link #grammar()} reports them. */
    static Grammar readSchema(Path file) throws IOException {
        String text = readUtf8(file);
        try {
            return Grammar.parse(JsonSchemaGrammar.toGbnf(text));
        } catch (GrammarException e) {
            throw new GrammarException(file + ": " + e.getMessage());
        }
    }

    /** The GBNF grammar in {@code file}, with errors as {@link #grammar()} reports them. */
    static Grammar read(Path file) throws IOException {
        String text = readUtf8(file);
        try {
            return Grammar.parse(text);
        } catch (GrammarException e) {
            throw new GrammarException(file + ": " + e.getMessage());
        }
    }

    private static String readUtf8(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IOException(file + " is not UTF-8 text", e);
        }
    }
}
