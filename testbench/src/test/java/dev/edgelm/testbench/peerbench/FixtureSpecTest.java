package dev.edgelm.testbench.peerbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.testbench.fixtures.ShapePreset;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FixtureSpecTest {

    @Test
    void theDefaultsAreIssueFivesFixtures() {
        assertThat(FixtureSpec.parseList(FixtureSpec.DEFAULTS)).map(FixtureSpec::toString).containsExactly(
                "smollm2-135m:Q4_0", "smollm2-135m:Q8_0", "smollm2-135m:Q4_K_M", "qwen2.5-0.5b:Q4_0",
                "llama-3.2-1b:Q4_0", "bitnet-2b:TQ2_0", "bitnet-2b:TQ1_0", "bitnet-2b:I2_S");
    }

    @Test
    void namesAreNormalisedAsTheGeneratorDoes() {
        FixtureSpec spec = FixtureSpec.parse(" SMOLLM2-135M:q4_k ");
        assertThat(spec).isEqualTo(new FixtureSpec(ShapePreset.SMOLLM2_135M, "Q4_K_M"));
        assertThat(spec.fileName(null)).isEqualTo("smollm2-135m-Q4_K_M.gguf");
        assertThat(spec.fileName(Path.of("../shared/vocab/ggml-vocab-qwen2.gguf")))
                .isEqualTo("smollm2-135m-Q4_K_M-ggml-vocab-qwen2.gguf");
    }

    @Test
    void llamaCppRunsTq20InPlaceOfI2S() {
        assertThat(FixtureSpec.parse("bitnet-2b:I2_S").peer()).isEqualTo(FixtureSpec.parse("bitnet-2b:TQ2_0"));
        FixtureSpec q8 = FixtureSpec.parse("tiny:Q8_0");
        assertThat(q8.peer()).isSameAs(q8);
    }

    @Test
    void kvCacheIsKeysAndValuesInF16ForEveryBlockAndKvHead() {
        // llama-3.2-1b: 16 blocks, 8 KV heads of 64.
        assertThat(FixtureSpec.parse("llama-3.2-1b:Q4_0").kvCacheBytes(640)).isEqualTo(2L * 16 * 640 * 8 * 64 * 2);
    }

    @Test
    void anEmptyPartIsAnError() {
        assertThatThrownBy(() -> FixtureSpec.parse("tiny:")).hasMessage(
                "unreadable fixture 'tiny:': expected PRESET:TYPE, e.g. smollm2-135m:Q4_0");
        assertThatThrownBy(() -> FixtureSpec.parse("tiny:Q4_0:x")).hasMessageStartingWith(
                "unreadable fixture 'tiny:Q4_0:x'");
    }
}
