package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelm.generate.Perplexity;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.Model;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm perplexity}: a model's perplexity on a text file, as llama.cpp's {@code llama-perplexity} computes it
 * by default ({@link Perplexity}), so that the two numbers can be compared. The running perplexity after each chunk
 * goes to standard error as llama.cpp prints it; the final estimate (or, with {@code --json}, one object) goes to
 * standard output.
 */
@Command(
        name = "perplexity",
        mixinStandardHelpOptions = true,
        description = "Measure a model's perplexity on a text file, as llama.cpp's llama-perplexity does by default: "
                + "the text is cut into chunks of N_CTX tokens (it needs at least two), each evaluated from an empty "
                + "context with BOS first if the model adds BOS, and the second half of each chunk is scored.")
final class PerplexityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "The model.")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT_FILE",
            description = "The text (UTF-8); one final newline is dropped, as llama.cpp does.")
    Path textFile;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N_CTX", defaultValue = "512",
            description = "Tokens per chunk, llama-perplexity's default (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--chunks", paramLabel = "N", defaultValue = "-1",
            description = "Evaluate at most N chunks; -1 for all (default: ${DEFAULT-VALUE}).")
    int chunks;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--json", description = "Print one JSON object: ppl, ppl_error, chunks, tokens_scored, n_ctx, "
            + "seconds.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (contextLength < Perplexity.MIN_CONTEXT) {
            throw new ParameterException(spec.commandLine(), "-c must be at least " + Perplexity.MIN_CONTEXT
                    + " tokens, got " + contextLength);
        }
        ContextOptions options = compute.context(contextLength);
        if (chunks == 0 || chunks < -1) {
            throw new ParameterException(spec.commandLine(), "--chunks must be positive, or -1 for all; got "
                    + chunks);
        }
        String text = readText();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = compute.open(model);
                ComputePool pool = new ComputePool(compute.threadCount())) {
            Perplexity perplexity = new Perplexity(m.newSequence(Kernels.get(), pool, options));
            Tokenizer tokenizer = m.tokenizer();
            int[] tokens = Perplexity.tokenize(tokenizer, text);
            int bos = tokenizer.addsBos() ? tokenizer.bos() : Tokenizer.NO_TOKEN;
            long start = System.nanoTime();
            Perplexity.Result result = perplexity.evaluate(tokens, bos, chunks, (chunk, total, ppl) -> {
                err.printf(Locale.ROOT, "[%d]%.4f,", chunk, ppl);
                err.flush();
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            err.println();
            err.flush();
            if (json) {
                out.println(toJson(result, seconds));
            } else {
                out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", result.perplexity(), result.error());
            }
            out.flush();
        }
        return 0;
    }

    /** The text as llama.cpp's {@code -f} reads it: the whole file less one final newline. */
    private String readText() throws IOException {
        String text = new String(Files.readAllBytes(textFile), StandardCharsets.UTF_8);
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    private static String toJson(Perplexity.Result result, double seconds) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("ppl", result.perplexity());
        node.put("ppl_error", result.error());
        node.put("chunks", result.chunks());
        node.put("tokens_scored", result.tokensScored());
        node.put("n_ctx", result.contextLength());
        node.put("seconds", seconds);
        return mapper.writeValueAsString(node);
    }
}
