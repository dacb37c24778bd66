package dev.edgelm.agent.cli;

import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.chat.ChatTemplateChoice;
import dev.edgelm.generate.chat.ChatTemplates;
import dev.edgelm.generate.chat.Conversation;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.Model;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm chat}: an interactive conversation. Each line of standard input is a user message; the reply streams
 * to standard output as it is generated. The conversation goes through the model's chat template, and only the new
 * turn is computed each time (the session reuses the cached prefix). Ends at end of input or on {@code /exit}.
 * With {@code --grammar} or {@code --json-schema}, every reply follows the grammar or schema.
 */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = "Chat with a model: one user message per line of standard input, replies streamed.")
final class ChatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ComputeOptions compute;

    @Mixin
    SamplingOptions samplingOptions;

    @Mixin
    GrammarOptions grammarOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message to start the conversation.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "512",
            description = "Most tokens per reply (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Override
    public Integer call() throws IOException {
        SamplingParams sampling = samplingOptions.params(spec, 0);
        Optional<Grammar> grammar = grammarOptions.grammar();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = compute.open(modelOptions.model); ComputePool pool = new ComputePool(compute.threadCount())) {
            ChatTemplateChoice choice = ChatTemplates.fromGguf(m.gguf().metadata());
            choice.warning().ifPresent(w -> err.println("edgelm chat: " + w));
            Session session = new Session(m.newSequence(Kernels.get(), pool,
                    compute.context(modelOptions.contextLength)), m.tokenizer());
            Conversation conversation = new Conversation(session, m.tokenizer(), choice.template(), system);
            err.printf(Locale.ROOT, "edgelm chat: %s, template %s, context %d; /exit or end of input to quit%n",
                    modelOptions.model.getFileName(), choice.template().name(), session.contextLength());
            err.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = prompt(err, in); line != null && !line.equals("/exit"); line = prompt(err, in)) {
                if (line.isBlank()) {
                    continue;
                }
                GenerationResult reply = conversation.reply(line, sampling, maxTokens, grammar, new Cancellation(),
                        token -> {
                            out.print(token.text());
                            out.flush();
                        });
                out.println();
                out.flush();
                err.printf(Locale.ROOT, "[%d tokens, %.1f tokens/s, %s]%n", reply.tokens().length,
                        reply.decodeTokensPerSecond(), reply.stopReason().name().toLowerCase(Locale.ROOT));
            }
        }
        return 0;
    }

    /** Shows the prompt marker on standard error and reads the next line, or null at end of input. */
    private static String prompt(PrintWriter err, BufferedReader in) throws IOException {
        err.print("> ");
        err.flush();
        return in.readLine();
    }
}
