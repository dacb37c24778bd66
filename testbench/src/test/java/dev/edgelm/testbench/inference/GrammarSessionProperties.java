package dev.edgelm.testbench.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.generate.GeneratedToken;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.StopReason;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random-weight models are the adversary: their logits favour whatever they like, so they keep picking tokens the
 * grammar forbids. Over seeded runs (the built-in vocabulary and Qwen2's, several grammars, random sampling
 * settings, end-of-generation pushed up at random), every output that ended complete is a sentence of its grammar,
 * every other output is a valid prefix, and the streamed text is the result.
 */
class GrammarSessionProperties {
    private static final long SEED = 0x6A73_6F6EL;
    private static final List<String> GRAMMARS = List.of(
            read(Path.of("..", "docs", "grammars", "json.gbnf")),
            "root ::= \"「\" [ぁ-ゟ]{1,6} \"」\" ( \" \" [\\U0001F600-\\U0001F602] )?",
            "root ::= item+\nitem ::= \"(\" item* \")\" | [a-z]",
            "root ::= [a-z]{2,5} ( \" \" [a-z]{2,5} ){0,3} \".\"");

    @TempDir
    static Path dir;

    @Test
    void everyCompletedOutputIsASentenceAndEveryOtherAValidPrefix() throws IOException {
        Path shared = Path.of(System.getProperty("edgelm.shared.dir", "../shared"), "vocab", "ggml-vocab-qwen2.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(shared), "../shared/vocab is not here");
        List<Path> models = new ArrayList<>();
        models.add(TinyFixtures.tiny(Files.createDirectories(dir.resolve("builtin")), "llama", "Q8_0"));
        try (GgufFile vocabulary = GgufFile.open(shared)) {
            models.add(TinyFixtures.tiny(Files.createDirectories(dir.resolve("qwen2")), "qwen2", "Q8_0",
                    ShapePreset.TINY.shape(), FixtureTokenizer.copiedFrom(vocabulary), 7));
        }
        SplittableRandom seeds = new SplittableRandom(SEED);
        int complete = 0;
        int runs = 0;
        try (ComputePool pool = new ComputePool(2)) {
            for (Path file : models) {
                try (Model model = Model.open(file)) {
                    Session session = new Session(model.newSequence(Kernels.get(), pool,
                            ContextOptions.defaults().withContextLength(96)), model.tokenizer());
                    for (int n = 0; n < 12; n++) {
                        long seed = seeds.nextLong();
                        if (run(session, model, new SplittableRandom(seed), "seed " + seed + ", " + file)) {
                            complete++;
                        }
                        runs++;
                    }
                }
            }
        }
        assertThat(complete).as("complete runs of %d", runs).isGreaterThanOrEqualTo(runs / 4);
    }

    /** One generation; whether it ended complete. */
    private static boolean run(Session session, Model model, SplittableRandom random, String where) {
        String gbnf = GRAMMARS.get(random.nextInt(GRAMMARS.size()));
        Grammar grammar = Grammar.parse(gbnf);
        SamplingParams sampling = random.nextInt(4) == 0 ? SamplingParams.greedy()
                : SamplingParams.defaults().withSeed(random.nextLong() & Long.MAX_VALUE)
                        .withTemperature(random.nextDouble(0.5, 2.0)).withTopK(random.nextBoolean() ? 0 : 40);
        if (random.nextBoolean()) {
            sampling = sampling.withLogitBias(Map.of(model.tokenizer().eos(), random.nextDouble(5, 50)));
        }
        int[] prompt = TinyFixtures.prompt(random.nextInt(1, 8), random.nextLong());
        List<GeneratedToken> streamed = new ArrayList<>();
        GenerationResult result = session.generate(GenerationRequest.of(prompt, sampling, 48).withGrammar(grammar),
                streamed::add);
        String text = result.text();
        String about = where + ", " + result.stopReason() + ", text \"" + text + "\", grammar:\n" + gbnf;
        assertThat(String.join("", streamed.stream().map(GeneratedToken::text).toList())).as(about).isEqualTo(text);
        boolean complete = result.stopReason() == StopReason.GRAMMAR_COMPLETE
                || result.stopReason() == StopReason.END_OF_GENERATION;
        if (complete) {
            assertThat(grammar.accepts(text)).as(about).isTrue();
        } else {
            assertThat(result.stopReason()).as(about).isEqualTo(StopReason.LENGTH);
            // The last token may have left a character unfinished, which the decoder shows as U+FFFD.
            String whole = text.endsWith("\uFFFD") ? text.substring(0, text.length() - 1) : text;
            assertThat(grammar.acceptsPrefix(whole)).as(about).isTrue();
        }
        return complete;
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
