package dev.edgelm.testbench.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.generate.Cancellation;
import dev.edgelm.generate.GeneratedToken;
import dev.edgelm.generate.GenerationRequest;
import dev.edgelm.generate.GenerationResult;
import dev.edgelm.generate.Session;
import dev.edgelm.generate.StopReason;
import dev.edgelm.generate.TokenSink;
import dev.edgelm.generate.grammar.Grammar;
import dev.edgelm.generate.grammar.GrammarException;
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufValue;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation under a grammar on a real (tiny, random) model: every output valid, the end when the grammar is
 * complete, end-of-generation masked until then, limits and stop strings, prefix reuse, cancellation, and the error
 * when no token can continue.
 */
class GrammarSessionTest {
    private static final int[] PROMPT = TinyFixtures.prompt(12, 5);
    private static final Grammar RECORD = Grammar.parse("""
            root ::= "{\\"n\\": " [0-9]{1,3} ( ", \\"ok\\": " ( "true" | "false" ) )? "}"
            """);

    @TempDir
    static Path dir;

    private static Model model;
    private static Model toyModel;
    private static ComputePool pool;

    @BeforeAll
    static void open() throws IOException {
        model = Model.open(TinyFixtures.tiny(dir, "llama", "pure-F32"));
        Path toyDir = Files.createDirectory(dir.resolve("toy"));
        toyModel = Model.open(TinyFixtures.tiny(toyDir, "llama", "pure-F32", ShapePreset.TINY.shape(), toyVocabulary(),
                3));
        pool = new ComputePool(2);
    }

    @AfterAll
    static void close() {
        pool.close();
        model.close();
        toyModel.close();
    }

    /** SentencePiece with three text tokens and no byte tokens: it cannot write a "c". */
    private static FixtureTokenizer toyVocabulary() {
        Map<String, GgufValue> entries = new LinkedHashMap<>();
        entries.put("tokenizer.ggml.model", new GgufValue.Str("llama"));
        entries.put("tokenizer.ggml.tokens", GgufStringArray.of("<unk>", "<s>", "</s>", "a", "b", "ab"));
        entries.put("tokenizer.ggml.token_type", GgufNumericArray.ofInts(2, 3, 3, 1, 1, 1));
        return new FixtureTokenizer(entries);
    }

    private static Session session(Model m, int context) {
        return new Session(m.newSequence(Kernels.get(), pool,
                ContextOptions.defaults().withContextLength(context).withBatchSize(8)), m.tokenizer());
    }

    private static GenerationRequest request(SamplingParams sampling, int maxTokens, Grammar grammar) {
        return GenerationRequest.of(PROMPT, sampling, maxTokens).withGrammar(grammar);
    }

    @Test
    void everyOutputFollowsTheGrammarAndTheGenerationEndsWhenItIsComplete() {
        List<SamplingParams> settings = new ArrayList<>(List.of(SamplingParams.greedy()));
        for (long seed = 1; seed <= 6; seed++) {
            settings.add(SamplingParams.defaults().withSeed(seed).withTemperature(1.5).withTopK(0).withTopP(1.0)
                    .withMinP(0.0));
        }
        for (SamplingParams sampling : settings) {
            List<GeneratedToken> streamed = new ArrayList<>();
            GenerationResult result = session(model, 128).generate(request(sampling, 64, RECORD), streamed::add);
            assertThat(result.stopReason()).as("seed %d: %s", sampling.seed(), result.text())
                    .isEqualTo(StopReason.GRAMMAR_COMPLETE);
            assertThat(RECORD.accepts(result.text())).as("seed %d: %s", sampling.seed(), result.text()).isTrue();
            assertThat(String.join("", streamed.stream().map(GeneratedToken::text).toList()))
                    .isEqualTo(result.text());
            assertThat(streamed).hasSize(result.tokens().length);
        }
    }

    @Test
    void endOfGenerationIsMaskedUntilTheTextIsAWholeSentence() {
        int eos = model.tokenizer().eos();
        SamplingParams eager = SamplingParams.greedy().withLogitBias(Map.of(eos, 100.0));
        GenerationResult free = session(model, 64).generate(GenerationRequest.of(PROMPT, eager, 8), TokenSink.none());
        assertThat(free.tokens()).containsExactly(eos);

        Grammar pairs = Grammar.parse("root ::= \"ab\"+");
        GenerationResult constrained = session(model, 64).generate(request(eager, 16, pairs), TokenSink.none());
        assertThat(constrained.stopReason()).isEqualTo(StopReason.END_OF_GENERATION);
        assertThat(constrained.text()).isEqualTo("ab");
        assertThat(constrained.tokens()).endsWith(eos);

        // Generating past end tokens: under a grammar they are then never sampled.
        GenerationResult goingOn = session(model, 64).generate(request(eager, 6, pairs).withIgnoredEndOfGeneration(),
                TokenSink.none());
        assertThat(goingOn.tokens()).hasSize(6).doesNotContain(eos);
        assertThat(pairs.acceptsPrefix(goingOn.text())).isTrue();
    }

    @Test
    void theLimitOrAFullContextCutsTheOutputShortAndTheStopReasonSaysSo() {
        Grammar long30 = Grammar.parse("root ::= \"[\" [a-z]{30} \"]\"");
        GenerationResult limited = session(model, 64).generate(request(SamplingParams.greedy(), 3, long30),
                TokenSink.none());
        assertThat(limited.stopReason()).isEqualTo(StopReason.LENGTH);
        assertThat(long30.acceptsPrefix(limited.text())).isTrue();
        assertThat(long30.accepts(limited.text())).isFalse();

        GenerationResult full = session(model, PROMPT.length + 4).generate(request(SamplingParams.greedy(), 100,
                long30), TokenSink.none());
        assertThat(full.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
        assertThat(long30.acceptsPrefix(full.text())).isTrue();
    }

    @Test
    void stopStringsStillApply() {
        GenerationResult result = session(model, 64).generate(new GenerationRequest(PROMPT, SamplingParams.greedy(),
                32, List.of("ca"), new Cancellation()).withGrammar(Grammar.parse("root ::= \"abcabc\"")),
                TokenSink.none());
        assertThat(result.stopReason()).isEqualTo(StopReason.STOP_STRING);
        assertThat(result.text()).isEqualTo("ab");
    }

    @Test
    void prefixReuseAndCancellationKeepWorking() {
        Session session = session(model, 256);
        GenerationResult first = session.generate(request(SamplingParams.greedy(), 64, RECORD), TokenSink.none());
        GenerationResult again = session.generate(request(SamplingParams.greedy(), 64, RECORD), TokenSink.none());
        assertThat(again.reusedPromptTokens()).isEqualTo(PROMPT.length - 1);
        assertThat(again.tokens()).containsExactly(first.tokens());

        Cancellation cancellation = new Cancellation();
        List<Integer> seen = new ArrayList<>();
        GenerationResult cancelled = session.generate(new GenerationRequest(PROMPT, SamplingParams.greedy(), 64,
                List.of(), cancellation).withGrammar(Grammar.parse("root ::= [a-z]{40}")), token -> {
                    seen.add(token.id());
                    if (seen.size() == 2) {
                        cancellation.cancel();
                    }
                });
        assertThat(cancelled.stopReason()).isEqualTo(StopReason.CANCELLED);
        assertThat(cancelled.tokens()).hasSize(2);
    }

    @Test
    void aGrammarWhoseOnlySentenceIsEmptyGeneratesNothing() {
        GenerationResult result = session(model, 64).generate(request(SamplingParams.greedy(), 8,
                Grammar.parse("root ::= \"\"")), TokenSink.none());
        assertThat(result.stopReason()).isEqualTo(StopReason.GRAMMAR_COMPLETE);
        assertThat(result.tokens()).isEmpty();
        assertThat(result.text()).isEmpty();
    }

    @Test
    void whenNoTokenCanWriteWhatTheGrammarNeedsTheGenerationFailsClearly() {
        List<GeneratedToken> streamed = new ArrayList<>();
        int[] prompt = {toyModel.tokenizer().bos()};
        Session session = session(toyModel, 64);
        assertThatThrownBy(() -> session.generate(GenerationRequest.of(prompt, SamplingParams.greedy(), 8)
                .withGrammar(Grammar.parse("root ::= \"c\"")), streamed::add))
                .isInstanceOf(GrammarException.class)
                .hasMessage("no token of the vocabulary can continue the output after 0 tokens: the grammar needs"
                        + " one of \"c\" next");
        assertThat(streamed).isEmpty();

        // After "ab", a "c" again: the tokens before were streamed, and the session can go on.
        assertThatThrownBy(() -> session.generate(GenerationRequest.of(prompt, SamplingParams.greedy(), 8)
                .withGrammar(Grammar.parse("root ::= \"ab\" \"c\"")), streamed::add))
                .hasMessageEndingWith("the grammar needs one of \"c\" next");
        assertThat(streamed).isNotEmpty();
        GenerationResult fine = session.generate(GenerationRequest.of(prompt, SamplingParams.greedy(), 8)
                .withGrammar(Grammar.parse("root ::= \"ba\"")), TokenSink.none());
        assertThat(fine.text()).isEqualTo("ba");
        assertThat(IntStream.of(fine.tokens()).mapToObj(toyModel.tokenizer()::tokenText)).containsOnly("a", "b");
    }
}
