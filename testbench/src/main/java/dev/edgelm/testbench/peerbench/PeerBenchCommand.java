package dev.edgelm.testbench.peerbench;

import dev.edgelm.testbench.TestbenchCommand;
import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code peer-bench}: EdgeLM against llama.cpp on the same generated GGUF files, same thread count, alternating
 * the two engines for several rounds; one table per fixture with the medians and the ratios (docs/benchmarks.md).
 */
@Command(
        name = "peer-bench",
        mixinStandardHelpOptions = true,
        description = "Compare EdgeLM with llama.cpp (testbench/peer) on generated fixtures: prefill and decode "
                + "speed, time to first token and memory, medians over alternating rounds, and the ratios.")
public final class PeerBenchCommand implements Callable<Integer> {

    /** Issue 5's time-to-first-token prompt length, BOS included. */
    static final int TTFT_PROMPT_TOKENS = 32;

    /** Plain English, so that the prompt reads as a user's would; it is cut to the length wanted. */
    private static final String TTFT_TEXT = "The quick brown fox jumps over the lazy dog while the farmer walks "
            + "along the river to the old mill, where the miller grinds wheat into flour for the bread that the "
            + "baker sells in the village market every morning before the sun rises over the hills.";

    @Spec
    CommandSpec spec;

    @Option(names = "--fixtures", paramLabel = "PRESET:TYPE,...", defaultValue = FixtureSpec.DEFAULTS,
            description = "Fixtures to compare (default: ${DEFAULT-VALUE}). I2_S runs on EdgeLM only; llama.cpp "
                    + "runs TQ2_0 of the same shape in its place.")
    String fixtures;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "512",
            description = "Prompt tokens to prefill (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128",
            description = "Tokens to decode after the prompt (default: ${DEFAULT-VALUE}).")
    int generatedTokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "2",
            description = "Threads, both engines (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "Rounds per fixture, each EdgeLM then llama.cpp (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--vector-bits", paramLabel = "BITS", defaultValue = "0",
            description = "Force EdgeLM's Vector API width (128, 256, 512; default: its preferred width).")
    int vectorBits;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the tables to FILE.")
    Path markdown;

    @Option(names = "--json", description = "Print one JSON object (every round, medians, ratios) instead of tables.")
    boolean json;

    @Option(names = "--vocab", paramLabel = "VOCAB.gguf",
            description = "Generate the fixtures with this file's tokenizer instead of the built-in vocabulary.")
    Path vocabulary;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Where the fixtures are generated and reused (default: models/peer-bench in the checkout).")
    Path cache;

    @Option(names = "--edgelm", paramLabel = "LAUNCHER", description = "The edgelm launcher (default: the checkout's).")
    Path launcher;

    @Option(names = "--peer", paramLabel = "DIR", description = "The llama.cpp peer (default: testbench/peer).")
    Path peer;

    @Option(names = "--repacked", description = "EdgeLM runs each fixture's repacked copy (edgelm repack, made "
            + "beside it at the start of the run): its matrices are mapped in place rather than interleaved in "
            + "memory at load. llama.cpp runs the original.")
    boolean repacked;

    @Option(names = "--head-type", paramLabel = "TYPE", description = "With --repacked, EdgeLM's copy of a fixture "
            + "whose output head is F32, F16 or BF16 (BitNet's I2_S) has it requantized to TYPE (edgelm repack "
            + "--output-type TYPE; llama.cpp's TQ2_0 files have a q6_K head).")
    String headType;

    @Override
    public Integer call() throws IOException {
        if (promptTokens < 1 || generatedTokens < 1 || threads < 1 || rounds < 1) {
            throw new ParameterException(spec.commandLine(), "-p, -n, -t and --rounds must be at least 1");
        }
        if (headType != null && !repacked) {
            throw new ParameterException(spec.commandLine(), "--head-type needs --repacked");
        }
        if (vectorBits != 0 && vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
            throw new ParameterException(spec.commandLine(), "--vector-bits must be 128, 256 or 512, got "
                    + vectorBits);
        }
        List<FixtureSpec> specs = FixtureSpec.parseList(fixtures);
        if (specs.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--fixtures names no fixture");
        }
        Path root = checkout();
        Path cacheDir = cache != null ? cache : root.resolve("models/peer-bench");
        Path peerDir = peer != null ? peer : root.resolve("testbench/peer");
        Path script = peerDir.resolve("llama-run.mjs");
        if (!Files.isDirectory(peerDir.resolve("node_modules/node-llama-cpp"))) {
            throw new IllegalStateException("the llama.cpp peer is not installed in " + peerDir
                    + ": run testbench/peer/setup.sh");
        }
        EdgeLmEngine edgeLm = new EdgeLmEngine(launcher != null ? launcher : root.resolve("edgelm"), vectorBits);
        Engine llamaCpp = new LlamaCppEngine(script);
        PrintWriter err = spec.commandLine().getErr();

        List<PeerBenchReport.FixtureResult> results = new ArrayList<>();
        String ttftPrompt = null;
        for (FixtureSpec fixture : specs) {
            Path theirs = ensureFixture(cacheDir, fixture.peer(), err);
            Path ours = ensureFixture(cacheDir, fixture, err);
            if (repacked) {
                ours = edgeLm.repacked(ours, headType);
            }
            if (ttftPrompt == null) {
                // One prompt for the whole run, sized with the first fixture's tokenizer: every fixture of a run
                // has the same vocabulary. Each engine reports the length it counted.
                ttftPrompt = promptOf(Tokenizers.fromGguf(ours), TTFT_PROMPT_TOKENS);
            }
            Engine.Settings settings = new Engine.Settings(promptTokens, generatedTokens, threads, ttftPrompt);
            Side ourSide = new Side(edgeLm, ours);
            Side theirSide = new Side(llamaCpp, theirs);
            for (int round = 1; round <= rounds; round++) {
                ourSide.measure(settings);
                theirSide.measure(settings);
                err.printf(Locale.ROOT, "peer-bench: %s round %d/%d: %s; %s%n", fixture, round, rounds,
                        ourSide.progress(), theirSide.progress());
                err.flush();
            }
            results.add(new PeerBenchReport.FixtureResult(fixture, ourSide.result(), theirSide.result()));
        }
        PeerBenchReport report = new PeerBenchReport(new PeerBenchReport.Settings(promptTokens, generatedTokens,
                threads, rounds, vectorBits, ttftPrompt), results);
        String tables = report.toMarkdown();
        if (markdown != null) {
            Files.writeString(markdown, tables, StandardCharsets.UTF_8);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? report.toJson() : tables);
        out.flush();
        return 0;
    }

    /** One engine on one fixture: its rounds so far, or the error that ended them (the other engine goes on). */
    private static final class Side {
        private final Engine engine;
        private final Path model;
        private final List<Sample> samples = new ArrayList<>();
        private String error;

        Side(Engine engine, Path model) {
            this.engine = engine;
            this.model = model;
        }

        void measure(Engine.Settings settings) {
            if (error != null) {
                return;
            }
            try {
                samples.add(engine.measure(model, settings));
            } catch (EngineException e) {
                error = e.getMessage();
            }
        }

        String progress() {
            if (error != null) {
                return engine.name() + " failed: " + error;
            }
            Sample s = samples.getLast();
            return String.format(Locale.ROOT, "%s prefill %.1f, decode %.1f tok/s", engine.name(), s.prefillTps(),
                    s.decodeTps());
        }

        PeerBenchReport.EngineResult result() {
            return new PeerBenchReport.EngineResult(engine.name(), model.getFileName().toString(),
                    List.copyOf(samples), error);
        }
    }

    /**
     * The fixture's file in the cache, generated first (by {@code testbench fixture}, seed 42) if it is not there.
     * It is written under a temporary name and renamed, so an interrupted run leaves no truncated file to be reused.
     */
    private Path ensureFixture(Path cacheDir, FixtureSpec fixture, PrintWriter log) throws IOException {
        Path file = cacheDir.resolve(fixture.fileName(vocabulary));
        if (Files.isRegularFile(file)) {
            return file;
        }
        Files.createDirectories(cacheDir);
        Path partial = cacheDir.resolve(file.getFileName() + ".partial");
        List<String> args = new ArrayList<>(List.of("fixture", "--preset", fixture.preset().id(),
                "--type", fixture.type(), "-o", partial.toString()));
        if (vocabulary != null) {
            args.addAll(List.of("--vocab", vocabulary.toString()));
        }
        CommandLine generator = new CommandLine(new TestbenchCommand()).setOut(log).setErr(log);
        if (generator.execute(args.toArray(String[]::new)) != 0) {
            Files.deleteIfExists(partial);
            throw new IllegalStateException("could not generate fixture " + fixture + " (the error is above)");
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /**
     * The shortest prefix of {@link #TTFT_TEXT} that is {@code tokens} tokens long (BOS included), or, if the
     * tokenizer merges across that length, the shortest that is longer.
     */
    static String promptOf(Tokenizer tokenizer, int tokens) {
        String longer = null;
        for (int end = 1; end <= TTFT_TEXT.length(); end++) {
            String prompt = TTFT_TEXT.substring(0, end);
            int length = tokenizer.encode(prompt, true, false).length;
            if (length == tokens && !prompt.endsWith(" ")) {
                return prompt;
            }
            if (length > tokens && longer == null) {
                longer = prompt;
            }
        }
        if (longer == null) {
            throw new IllegalStateException("the time-to-first-token text is shorter than " + tokens + " tokens");
        }
        return longer;
    }

    /** The checkout this testbench was built in: its jar (or classes) is in {@code testbench/target}. */
    private static Path checkout() {
        try {
            Path built = Path.of(PeerBenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return built.toAbsolutePath().getParent().getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the checkout: " + e.getMessage(), e);
        }
    }
}
