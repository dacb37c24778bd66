package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm tokenize}: the token ids of a text under a model's tokenizer (vocabulary-only files work too).
 *
 * <p>Without a TEXT argument the text is standard input, byte for byte, so tabs, newlines and any UTF-8 pass
 * through exactly (a shell argument cannot carry everything). Special tokens written in the text are parsed, as
 * llama.cpp's {@code llama-tokenize} does by default.
 */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        description = "Print the token ids of TEXT (or of standard input) under a model's tokenizer.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf",
            description = "The model or vocabulary file.")
    Path model;

    @Option(names = "--no-bos", description = "Do not add the BOS token (and EOS) the model's metadata asks for.")
    boolean noBos;

    @Option(names = "--no-parse-special",
            description = "Tokenize special-token text such as <|im_start|> as plain text.")
    boolean noParseSpecial;

    @Option(names = "--json", description = "Print a JSON array of ids.")
    boolean json;

    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "The text; standard input when absent.")
    String text;

    @Override
    public Integer call() throws IOException {
        String input = text != null ? text : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        int[] ids = tokenizer.encode(input, !noBos, !noParseSpecial);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(ids));
        } else {
            for (int id : ids) {
                // The decoded piece, JSON-escaped so that whitespace and control characters are visible.
                out.println(id + "\t" + TextNode.valueOf(new String(tokenizer.tokenBytes(id), StandardCharsets.UTF_8)));
            }
        }
        out.flush();
        return 0;
    }
}
