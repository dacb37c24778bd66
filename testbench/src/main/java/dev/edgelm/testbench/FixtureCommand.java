package dev.edgelm.testbench;

import dev.edgelm.gguf.GgufFile;
import dev.edgelm.testbench.fixtures.FixtureGenerator;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ModelLayout;
import dev.edgelm.testbench.fixtures.ModelShape;
import dev.edgelm.testbench.fixtures.ModelSpec;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TypeMix;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fixture}: writes one synthetic model; see {@link FixtureGenerator}. */
@Command(
        name = "fixture",
        mixinStandardHelpOptions = true,
        description = "Write a synthetic GGUF model: a real model's shape, random (or zero) weights, a tokenizer.")
final class FixtureCommand implements Callable<Integer> {

    /** Learned tokens of the built-in vocabulary; it stops earlier if its text runs out of repeated pairs. */
    static final int BUILTIN_VOCABULARY_TOKENS = 4096;

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "The file to write.")
    Path output;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: the preset's real one, llama for tiny).",
            completionCandidates = Architectures.class)
    String architecture;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "PRESET",
            description = "Shape: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Presets.class)
    String preset;

    @Option(names = "--type", defaultValue = "Q4_0", paramLabel = "TYPE",
            description = "Tensor types, as llama-quantize names them: ${COMPLETION-CANDIDATES} "
                    + "(default: ${DEFAULT-VALUE}).",
            completionCandidates = Types.class)
    String type;

    @Option(names = "--vocab", paramLabel = "VOCAB.gguf",
            description = "Copy the tokenizer from this GGUF file (e.g. ../shared/vocab/ggml-vocab-qwen2.gguf) "
                    + "instead of the built-in byte-level BPE vocabulary.")
    Path vocabulary;

    @Option(names = "--weights", defaultValue = "random", paramLabel = "random|zero",
            description = "Random weights, or zero (a sparse, shape-only file; default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--context", paramLabel = "N", description = "Context length, instead of the preset's.")
    Integer contextLength;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        ShapePreset shapePreset = ShapePreset.parse(preset);
        ModelLayout layout = ModelLayout.of(architecture == null ? shapePreset.architecture() : architecture);
        ModelShape shape = shapePreset.shape();
        if (contextLength != null) {
            shape = shape.withContextLength(contextLength);
        }
        TypeMix types = TypeMix.parse(type);
        FixtureGenerator.Weights fill = parseWeights(weights);
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        ModelSpec written;
        if (vocabulary == null) {
            written = FixtureGenerator.write(new FixtureGenerator.Request(layout, shape, types,
                    FixtureTokenizer.builtin(BUILTIN_VOCABULARY_TOKENS), fill, seed), output);
        } else {
            // The copied token arrays are views of the vocabulary file's mapping: keep it open while writing.
            try (GgufFile vocab = GgufFile.open(vocabulary)) {
                written = FixtureGenerator.write(new FixtureGenerator.Request(layout, shape, types,
                        FixtureTokenizer.copiedFrom(vocab), fill, seed), output);
            }
        }
        long parameters = written.tensors().stream().mapToLong(t -> t.elementCount()).sum();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s: %s %s %s, %d tensors, %.1f M parameters, vocabulary %d, %s weights%n",
                output, layout.architecture(), preset, types.name(), written.tensors().size(), parameters / 1e6,
                written.shape().vocabSize(), fill.name().toLowerCase(Locale.ROOT));
        out.flush();
        return 0;
    }

    private static FixtureGenerator.Weights parseWeights(String name) {
        try {
            return FixtureGenerator.Weights.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --weights '" + name + "': use random or zero");
        }
    }

    /** Completion candidates, which picocli also lists in the help. */
    static final class Architectures implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ModelLayout.all().stream().map(ModelLayout::architecture).iterator();
        }
    }

    static final class Presets implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(ShapePreset.values()).map(ShapePreset::id).iterator();
        }
    }

    static final class Types implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return TypeMix.names().iterator();
        }
    }
}
