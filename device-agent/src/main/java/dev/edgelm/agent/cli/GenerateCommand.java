package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.generate.sampling.TokenLogprobs;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.KvCacheType;
import dev.edgelm.model.Model;
import dev.edgelm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm generate}: continues a prompt. Text streams to standard output as it is generated and a summary
 * goes to standard error; {@code --json} prints one object at the end instead (DESIGN.md section 3).
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generate text that continues a prompt.")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "The model.")
    Path model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT",
            description = "The prompt (default: none, generation starts from BOS alone).")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from FILE (UTF-8).")
    Path promptFile;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate; -1 for as many as the context holds (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8",
            description = "Temperature; 0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k; 0 off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Top-p; 1 off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "Min-p; 0 off (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Repetition penalty; 1 off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "-1",
            description = "Random seed; -1 for a random one (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the output contains TEXT (repeatable).")
    List<String> stop = List.of();

    @Option(names = "--top-logprobs", paramLabel = "K", defaultValue = "0",
            description = "With --json, the K most likely tokens and their log-probabilities at each step.")
    int topLogprobs;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context length; 0 for the model's, up to 4096 (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type: f16 or f32 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "" + ContextOptions.DEFAULT_BATCH,
            description = "Prompt tokens per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Compute threads (default: one per core).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object with the text, tokens and speeds.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        String text = promptText();
        SamplingParams sampling = sampling();
        ContextOptions options = contextOptions();
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.open(model);
                ComputePool pool = new ComputePool(threads == null ? ComputePool.defaultThreads() : threads)) {
            Tokenizer tokenizer = m.tokenizer();
            int[] promptTokens = promptTokens(tokenizer, text);
            Session session = new Session(m.newSequence(Kernels.get(), pool, options), tokenizer);
            int limit = maxTokens < 0 ? session.contextLength() : maxTokens;
            GenerationRequest request = new GenerationRequest(promptTokens, sampling, limit, stop, new Cancellation());
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
        }
        return 0;
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

    private SamplingParams sampling() {
        try {
            return SamplingParams.defaults()
                    .withTemperature(temperature)
                    .withTopK(topK)
                    .withTopP(topP)
                    .withMinP(minP)
                    .withRepeatPenalty(repeatPenalty)
                    .withSeed(seed)
                    .withTopLogprobs(topLogprobs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private ContextOptions contextOptions() {
        try {
            return new ContextOptions(contextLength, KvCacheType.parse(kvType), batchSize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
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
