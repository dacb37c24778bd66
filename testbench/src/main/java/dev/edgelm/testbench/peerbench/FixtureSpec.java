package dev.edgelm.testbench.peerbench;

import dev.edgelm.testbench.fixtures.ModelShape;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TypeMix;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One fixture of the comparison: a shape preset and a file type, written {@code PRESET:TYPE} on the command line
 * (e.g. {@code smollm2-135m:Q4_0}).
 *
 * @param preset the model shape
 * @param type   the file type, as {@code llama-quantize} names it ({@link TypeMix#names()})
 */
public record FixtureSpec(ShapePreset preset, String type) {

    /** Issue 5's fixtures: the shapes of the models EdgeLM targets, in the types it must be fast in. */
    public static final String DEFAULTS = "smollm2-135m:Q4_0,smollm2-135m:Q8_0,smollm2-135m:Q4_K_M,"
            + "qwen2.5-0.5b:Q4_0,llama-3.2-1b:Q4_0,bitnet-2b:TQ2_0,bitnet-2b:TQ1_0,bitnet-2b:I2_S";

    /** BitNet's own format, which llama.cpp cannot read (only Microsoft's bitnet.cpp fork can). */
    private static final String I2_S = "I2_S";
    /** What llama.cpp runs instead of I2_S: the same ternary weights at the same 2 bits per weight. */
    private static final String I2_S_STAND_IN = "TQ2_0";

    /**
     * The fixture named {@code PRESET:TYPE}.
     *
     * @throws IllegalArgumentException with one line naming the spec and what is wrong with it
     */
    public static FixtureSpec parse(String spec) {
        String[] parts = spec.strip().split(":", -1);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new IllegalArgumentException("unreadable fixture '" + spec + "': expected PRESET:TYPE, e.g. "
                    + "smollm2-135m:Q4_0");
        }
        ShapePreset preset;
        String type;
        try {
            preset = ShapePreset.parse(parts[0].strip());
            type = TypeMix.parse(parts[1].strip()).name();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unreadable fixture '" + spec + "': " + e.getMessage(), e);
        }
        return new FixtureSpec(preset, type);
    }

    /** The comma-separated list of the {@code --fixtures} option, in order. */
    public static List<FixtureSpec> parseList(String specs) {
        return Arrays.stream(specs.split(",")).filter(s -> !s.isBlank()).map(FixtureSpec::parse).toList();
    }

    /** The fixture llama.cpp runs in this one's place: itself, or TQ2_0 of the same shape for I2_S. */
    public FixtureSpec peer() {
        return type.equals(I2_S) ? new FixtureSpec(preset, I2_S_STAND_IN) : this;
    }

    /**
     * The file name in the fixture cache: {@code smollm2-135m-Q4_0.gguf} with the built-in vocabulary (null), or
     * with the vocabulary file's name added, e.g. {@code smollm2-135m-Q4_0-ggml-vocab-qwen2.gguf}.
     */
    public String fileName(Path vocabulary) {
        String stem = preset.id() + "-" + type;
        return vocabulary == null ? stem + ".gguf" : stem + "-" + vocabulary.getFileName();
    }

    /**
     * Bytes of an f16 KV cache of {@code positions} positions (both engines' default cache type): keys and values,
     * every block and KV head.
     */
    public long kvCacheBytes(int positions) {
        ModelShape shape = preset.shape();
        return 2L * shape.blockCount() * positions * shape.headCountKv() * shape.headDim() * Short.BYTES;
    }

    @Override
    public String toString() {
        return preset.id() + ":" + type;
    }
}
