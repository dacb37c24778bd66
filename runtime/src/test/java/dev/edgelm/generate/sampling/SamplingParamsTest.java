package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplingParamsTest {
    private static final SamplingParams D = SamplingParams.defaults();

    @Test
    void defaultsAreLlamaCpps() {
        assertThat(D.temperature()).isEqualTo(0.8);
        assertThat(D.topK()).isEqualTo(40);
        assertThat(D.topP()).isEqualTo(0.95);
        assertThat(D.minP()).isEqualTo(0.05);
        assertThat(D.minKeep()).isZero();
        assertThat(D.repeatPenalty()).isEqualTo(1.0);
        assertThat(D.repeatLastN()).isEqualTo(64);
        assertThat(D.presencePenalty()).isZero();
        assertThat(D.frequencyPenalty()).isZero();
        assertThat(D.logitBias()).isEmpty();
        assertThat(D.seed()).isEqualTo(SamplingParams.RANDOM_SEED);
        assertThat(D.topLogprobs()).isZero();
        assertThat(D.isGreedy()).isFalse();
        assertThat(D.penaltiesEnabled()).isFalse();
        assertThat(SamplingParams.greedy().isGreedy()).isTrue();
        assertThat(D.withTemperature(-1).isGreedy()).isTrue();
    }

    @Test
    void penaltiesAreOnOnlyWithAWindowAndANonNeutralValue() {
        assertThat(D.withRepeatPenalty(1.1).penaltiesEnabled()).isTrue();
        assertThat(D.withFrequencyPenalty(0.5).penaltiesEnabled()).isTrue();
        assertThat(D.withPresencePenalty(-0.5).penaltiesEnabled()).isTrue();
        assertThat(D.withRepeatPenalty(1.1).withRepeatLastN(0).penaltiesEnabled()).isFalse();
        assertThat(D.withRepeatPenalty(1.1).withRepeatLastN(-1).penaltiesEnabled()).isTrue();
    }

    @Test
    void withersChangeOneFieldEach() {
        SamplingParams p = D.withTemperature(0.3).withTopK(5).withTopP(0.5).withMinP(0.1).withMinKeep(2)
                .withRepeatPenalty(1.3).withRepeatLastN(16).withPresencePenalty(0.2).withFrequencyPenalty(0.4)
                .withLogitBias(Map.of(3, -1.0)).withSeed(42).withTopLogprobs(7);
        assertThat(p).isEqualTo(new SamplingParams(0.3, 5, 0.5, 0.1, 2, 1.3, 16, 0.2, 0.4, Map.of(3, -1.0), 42, 7));
    }

    @Test
    void logitBiasIsCopiedAndCannotBeChanged() {
        Map<Integer, Double> bias = new HashMap<>();
        bias.put(5, Double.NEGATIVE_INFINITY);
        bias.put(2, 1.5);
        SamplingParams p = D.withLogitBias(bias);
        bias.put(9, 1.0);
        assertThat(p.logitBias()).containsOnlyKeys(2, 5);
        assertThat(p.logitBias().keySet()).containsExactly(2, 5);
        assertThatThrownBy(() -> p.logitBias().put(1, 1.0)).isInstanceOf(UnsupportedOperationException.class);
    }

    static Stream<Arguments> invalid() {
        Map<Integer, Double> nullKey = new HashMap<>();
        nullKey.put(null, 1.0);
        Map<Integer, Double> nullValue = new HashMap<>();
        nullValue.put(1, null);
        return Stream.of(
                bad(() -> D.withTemperature(Double.NaN), "temp must be finite (<= 0 means greedy), got NaN"),
                bad(() -> D.withTemperature(Double.POSITIVE_INFINITY), "temp must be finite"),
                bad(() -> D.withTopK(-1), "top_k must be >= 0 (0 turns it off), got -1"),
                bad(() -> D.withTopP(1.5), "top_p must be in (0, 1], got 1.5"),
                bad(() -> D.withTopP(0.0), "top_p must be in (0, 1], got 0.0"),
                bad(() -> D.withTopP(Double.NaN), "top_p must be in (0, 1], got NaN"),
                bad(() -> D.withMinP(-0.1), "min_p must be in [0, 1], got -0.1"),
                bad(() -> D.withMinP(1.01), "min_p must be in [0, 1], got 1.01"),
                bad(() -> D.withMinKeep(-1), "min_keep must be >= 0, got -1"),
                bad(() -> D.withRepeatPenalty(0.0), "repeat_penalty must be finite and > 0 (1 turns it off), got 0.0"),
                bad(() -> D.withRepeatPenalty(-1.1), "repeat_penalty must be finite and > 0"),
                bad(() -> D.withRepeatPenalty(Double.MIN_VALUE), "repeat_penalty must be finite and > 0"),
                bad(() -> D.withRepeatPenalty(Double.NaN), "repeat_penalty must be finite and > 0"),
                bad(() -> D.withRepeatLastN(-2),
                        "repeat_last_n must be >= -1 (-1: every accepted token, 0: off), got -2"),
                bad(() -> D.withPresencePenalty(Double.NaN), "presence_penalty must be finite, got NaN"),
                bad(() -> D.withFrequencyPenalty(Double.NEGATIVE_INFINITY),
                        "frequency_penalty must be finite, got -Infinity"),
                bad(() -> D.withTopLogprobs(-1), "top_logprobs must be >= 0 (0 reports none), got -1"),
                bad(() -> D.withLogitBias(null), "logit_bias must not be null"),
                bad(() -> D.withLogitBias(Map.of(-3, 1.0)), "logit_bias token ids must be >= 0, got -3"),
                bad(() -> D.withLogitBias(nullKey), "logit_bias token ids must be >= 0, got null"),
                bad(() -> D.withLogitBias(nullValue), "logit_bias for token 1 must be finite or -Infinity"),
                bad(() -> D.withLogitBias(Map.of(4, Double.POSITIVE_INFINITY)),
                        "logit_bias for token 4 must be finite or -Infinity (to ban it), got Infinity"),
                bad(() -> D.withLogitBias(Map.of(4, Double.NaN)),
                        "logit_bias for token 4 must be finite or -Infinity (to ban it), got NaN"));
    }

    private static Arguments bad(Supplier<SamplingParams> make, String message) {
        return Arguments.of(make, message);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalid")
    void invalidValuesAreRejectedWithAClearMessage(Supplier<SamplingParams> make, String message) {
        assertThatThrownBy(make::get).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void edgeValuesAreAccepted() {
        assertThat(D.withTopP(1.0).topP()).isEqualTo(1.0);
        assertThat(D.withTopP(Double.MIN_VALUE).topP()).isEqualTo(Double.MIN_VALUE);
        assertThat(D.withMinP(0.0).withMinP(1.0).minP()).isEqualTo(1.0);
        assertThat(D.withTopK(0).withRepeatLastN(-1).withTemperature(-2).withSeed(Long.MIN_VALUE)).isNotNull();
        assertThat(D.withLogitBias(Map.of(0, Double.NEGATIVE_INFINITY, 1, -1e30, 2, 1e30)).logitBias()).hasSize(3);
    }
}
