package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.chat.ChatMessage;
import dev.edgelm.generate.chat.ChatTemplateChoice;
import dev.edgelm.generate.chat.ChatTemplates;
import dev.edgelm.generate.chat.Conversation;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.generate.sampling.TokenLogprobs;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm generate}: continues a prompt. Text streams to standard output as it is generated and a summary
 * goes to standard error; {@code --json} prints one object at the end instead (DESIGN.md section 3). With
 * {@code --grammar} or {@code --json-schema}, an output that the token limit or the context cut short is printed, then
 * reported as an error.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generate text that continues a prompt.")
final class GenerateCommand implements Callable<Integer> {

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

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT",
            description = "The prompt (default: none, generation starts from BOS alone).")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from FILE (UTF-8).")
    Path promptFile;

    @Option(names = "--chat", description = "Send the prompt as a user message through the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "With --chat, a system message first.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate; -1 for as many as the context holds (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the output contains TEXT (repeatable).")
    List<String> stop = List.of();

    @Option(names = "--top-logprobs", paramLabel = "K", defaultValue = "0",
            description = "With --json, the K most likely tokens and their log-probabilities at each step.")
    int topLogprobs;

    @Option(names = "--json", description = "Print one JSON object with the text, tokens and speeds.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        String text = promptText();
        if (system != null && !chat) {
            throw new ParameterException(spec.commandLine(), "--system needs --chat");
        }
        if (topLogprobs > 0 && !json) {
            throw new ParameterException(spec.commandLine(), "--top-logprobs needs --json (they are printed there)");
        }
        SamplingParams sampling = samplingOptions.params(spec, topLogprobs);
        Optional<Grammar> grammar = grammarOptions.grammar();
        ContextOptions options = compute.context(modelOptions.contextLength);
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = compute.open(modelOptions.model); ComputePool pool = new ComputePool(compute.threadCount())) {
            Tokenizer tokenizer = m.tokenizer();
            int[] promptTokens = chat ? chatTokens(m, text) : promptTokens(tokenizer, text);
            Session session = new Session(m.newSequence(Kernels.get(), pool, options), tokenizer);
            int limit = maxTokens < 0 ? session.contextLength() : maxTokens;
            GenerationRequest plain = new GenerationRequest(promptTokens, sampling, limit, stop, new Cancellation());
            GenerationRequest request = grammar.map(plain::withGrammar).orElse(plain);
            TokenSink sink = json ? TokenSink.none() : token -> {
                out.print(token.text());
                out.flush();
            };
            GenerationResult result = session.generate(request, sink);
            if (json) {
                out.println(toJson(result));
            } else {
                out.println();
                PrintWriter err = spec.commandLine().getErr();
                err.printf(Locale.ROOT, "prompt: %d tokens, %.1f tokens/s; generated: %d tokens, %.1f tokens/s; "
                        + "stopped: %s%n", result.promptTokens(), result.prefillTokensPerSecond(),
                        result.tokens().length, result.decodeTokensPerSecond(),
                        result.stopReason().name().toLowerCase(Locale.ROOT));
                err.flush();
            }
            out.flush();
            if (grammar.isPresent()) {
                requireComplete(result, limit, session.contextLength());
            }
        }
        return 0;
    }

    /**
     * Fails, after the partial output was printed, when the limit or the context cut a grammar's output short:
     * whoever reads it must not take it for a complete one.
     */
    private static void requireComplete(GenerationResult result, int limit, int context) {
        String cut = switch (result.stopReason()) {
            case LENGTH -> "the -n limit of " + limit + " tokens was reached";
            case CONTEXT_FULL -> "the context of " + context + " tokens filled up";
            default -> null;
        };
        if (cut != null) {
            throw new IncompleteOutputException("the output is incomplete: " + cut + " before the grammar was"
                    + " complete");
        }
    }

    private String promptText() throws IOException {
        if (prompt != null && promptFile != null) {
            throw new ParameterException(spec.commandLine(), "give the prompt with -p or -f, not both");
        }
        if (promptFile != null) {
            return Files.readString(promptFile, StandardCharsets.UTF_8);
        }
        return prompt == null ? "" : prompt;
    }

    /** The prompt's tokens: BOS as the metadata asks, and BOS alone for an empty prompt (as llama.cpp does). */
    private static int[] promptTokens(Tokenizer tokenizer, String text) {
        int[] tokens = tokenizer.encode(text, true, false);
        if (tokens.length > 0) {
            return tokens;
        }
        if (tokenizer.bos() == Tokenizer.NO_TOKEN) {
            throw new IllegalArgumentException("the prompt is empty and the model has no BOS token to start from");
        }
        return new int[] {tokenizer.bos()};
    }

    /** The prompt as the user's message in the model's chat template (its fallback's warning on stderr). */
    private int[] chatTokens(Model m, String text) {
        ChatTemplateChoice choice = ChatTemplates.fromGguf(m.gguf().metadata());
        choice.warning().ifPresent(w -> spec.commandLine().getErr().println("edgelm generate: " + w));
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatMessage.system(system));
        }
        messages.add(ChatMessage.user(text));
        return Conversation.promptTokens(choice.template(), m.tokenizer(), messages);
    }

    private String toJson(GenerationResult result) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode node = mapper.createObjectNode();
        node.put("text", result.text());
        ArrayNode tokens = node.putArray("tokens");
        for (int t : result.tokens()) {
            tokens.add(t);
        }
        node.put("prompt_tokens", result.promptTokens());
        node.put("prefill_tps", result.prefillTokensPerSecond());
        node.put("decode_tps", result.decodeTokensPerSecond());
        node.put("stop_reason", result.stopReason().name().toLowerCase(Locale.ROOT));
        if (topLogprobs > 0) {
            ArrayNode steps = node.putArray("top_logprobs");
            for (TokenLogprobs lp : result.logprobs()) {
                ArrayNode step = steps.addArray();
                for (TokenLogprobs.Candidate c : lp.top()) {
                    step.addArray().add(c.token()).add(c.logprob());
                }
            }
        }
        return mapper.writeValueAsString(node);
    }
}
