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
import dev.edgelm.generate.sampling.SamplingParams;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Kernels;
import dev.edgelm.model.ContextFullException;
import dev.edgelm.model.ContextOptions;
import dev.edgelm.model.Model;
import dev.edgelm.testbench.fixtures.TinyFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation sessions: prefix reuse, streaming, stop strings, cancellation, a full context, seeds. */
class SessionTest {
    private static final int[] PROMPT = TinyFixtures.prompt(12, 5);

    @TempDir
    static Path dir;

    private static Model model;
    private static ComputePool pool;

    @BeforeAll
    static void open() throws IOException {
        // F32 weights: batch splits change no rounding, so reused and recomputed prefixes agree exactly.
        model = Model.open(TinyFixtures.tiny(dir, "llama", "pure-F32"));
        pool = new ComputePool(2);
    }

    @AfterAll
    static void close() {
        pool.close();
        model.close();
    }

    private static Session session(int context) {
        return new Session(model.newSequence(Kernels.get(), pool,
                ContextOptions.defaults().withContextLength(context).withBatchSize(8)), model.tokenizer());
    }

    private static GenerationResult greedy(Session session, int[] prompt, int maxTokens) {
        return session.generate(GenerationRequest.of(prompt, SamplingParams.greedy(), maxTokens), TokenSink.none());
    }

    @Test
    void aSharedPrefixIsReusedAndGivesTheSameTokensAsAFreshSession() {
        Session session = session(128);
        GenerationResult first = greedy(session, PROMPT, 10);
        assertThat(first.reusedPromptTokens()).isZero();
        assertThat(session.cachedTokens()).isEqualTo(PROMPT.length + 9);

        // A follow-up: the whole first exchange plus more text, as a chat's next turn looks.
        int[] followUp = IntStream.concat(IntStream.concat(IntStream.of(PROMPT), IntStream.of(first.tokens())),
                IntStream.of(TinyFixtures.prompt(5, 9))).toArray();
        GenerationResult second = greedy(session, followUp, 10);
        assertThat(second.reusedPromptTokens()).isEqualTo(PROMPT.length + first.tokens().length - 1);
        assertThat(second.tokens()).containsExactly(greedy(session(128), followUp, 10).tokens());

        // A different prompt reuses only what it shares, and still matches a fresh session.
        int[] other = PROMPT.clone();
        other[4] = (other[4] + 1) % 400;
        GenerationResult third = greedy(session, other, 6);
        assertThat(third.reusedPromptTokens()).isEqualTo(4);
        assertThat(third.tokens()).containsExactly(greedy(session(128), other, 6).tokens());
    }

    @Test
    void theSameFullyCachedPromptIsRecomputedFromItsLastToken() {
        Session session = session(64);
        GenerationResult first = greedy(session, PROMPT, 1);
        GenerationResult again = greedy(session, PROMPT, 1);
        assertThat(again.reusedPromptTokens()).isEqualTo(PROMPT.length - 1);
        assertThat(again.tokens()).containsExactly(first.tokens());
    }

    @Test
    void streamedTextAddsUpToTheResultAndEveryTokenIsStreamedOnce() {
        List<GeneratedToken> streamed = new ArrayList<>();
        GenerationResult result = session(64).generate(GenerationRequest.of(PROMPT, SamplingParams.greedy(), 20),
                streamed::add);
        assertThat(streamed).extracting(GeneratedToken::id).containsExactly(
                IntStream.of(result.tokens()).boxed().toArray(Integer[]::new));
        assertThat(String.join("", streamed.stream().map(GeneratedToken::text).toList())).isEqualTo(result.text());
        assertThat(result.stopReason()).isIn(StopReason.LENGTH, StopReason.END_OF_GENERATION);
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        String text = greedy(session(64), PROMPT, 24).text();
        assertThat(text.length()).as("greedy text %s", text).isGreaterThan(4);
        // A stop string taken from inside the text: the text ends right before its first occurrence.
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        List<String> released = new ArrayList<>();
        GenerationResult result = session(64).generate(new GenerationRequest(PROMPT, SamplingParams.greedy(), 24,
                List.of(stop), new Cancellation()), token -> released.add(token.text()));
        assertThat(result.stopReason()).isEqualTo(StopReason.STOP_STRING);
        assertThat(result.text()).isEqualTo(text.substring(0, text.indexOf(stop)));
        assertThat(String.join("", released)).isEqualTo(result.text());
    }

    @Test
    void cancellingStopsWithinOneToken() {
        Cancellation cancellation = new Cancellation();
        List<Integer> seen = new ArrayList<>();
        GenerationResult result = session(64).generate(new GenerationRequest(PROMPT, SamplingParams.greedy(), 50,
                List.of(), cancellation), token -> {
                    seen.add(token.id());
                    if (seen.size() == 3) {
                        cancellation.cancel();
                    }
                });
        assertThat(result.stopReason()).isEqualTo(StopReason.CANCELLED);
        assertThat(result.tokens()).hasSize(3);

        Cancellation before = new Cancellation();
        before.cancel();
        GenerationResult none = session(64).generate(new GenerationRequest(PROMPT, SamplingParams.greedy(), 50,
                List.of(), before), TokenSink.none());
        assertThat(none.stopReason()).isEqualTo(StopReason.CANCELLED);
        assertThat(none.tokens()).isEmpty();
    }

    @Test
    void aFullContextEndsGenerationCleanlyAndATooLongPromptIsRefused() {
        int context = PROMPT.length + 5;
        Session session = session(context);
        GenerationResult result = session.generate(GenerationRequest.of(PROMPT, SamplingParams.greedy(), 100)
                .withIgnoredEndOfGeneration(), TokenSink.none());
        // Positions PROMPT.length .. context-1 take 5 fed-back tokens; the 6th is sampled but cannot be fed back.
        assertThat(result.tokens()).hasSize(6);
        assertThat(result.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
        assertThatThrownBy(() -> greedy(session(8), PROMPT, 1))
                .isInstanceOf(ContextFullException.class)
                .hasMessageContaining("12 tokens do not fit in a context of 8");
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOtherTokens() {
        SamplingParams sampling = SamplingParams.defaults().withTemperature(1.5).withTopK(0).withTopP(1.0)
                .withMinP(0.0).withSeed(1234);
        int[] a = session(64).generate(GenerationRequest.of(PROMPT, sampling, 24), TokenSink.none()).tokens();
        int[] b = session(64).generate(GenerationRequest.of(PROMPT, sampling, 24), TokenSink.none()).tokens();
        int[] c = session(64).generate(GenerationRequest.of(PROMPT, sampling.withSeed(4321), 24),
                TokenSink.none()).tokens();
        assertThat(b).containsExactly(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void zeroMaxTokensGeneratesNothing() {
        GenerationResult result = greedy(session(64), PROMPT, 0);
        assertThat(result.tokens()).isEmpty();
        assertThat(result.text()).isEmpty();
        assertThat(result.stopReason()).isEqualTo(StopReason.LENGTH);
    }
}
