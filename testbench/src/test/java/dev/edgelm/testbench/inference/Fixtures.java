package dev.edgelm.testbench.inference;

import dev.edgelm.testbench.fixtures.FixtureGenerator;
import dev.edgelm.testbench.fixtures.FixtureTokenizer;
import dev.edgelm.testbench.fixtures.ModelLayout;
import dev.edgelm.testbench.fixtures.ModelShape;
import dev.edgelm.testbench.fixtures.ShapePreset;
import dev.edgelm.testbench.fixtures.TypeMix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Random;

/** Tiny random fixtures for the runtime's own tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** Writes a tiny {@code architecture} model of {@code types} into {@code dir} and returns its path. */
    static Path tiny(Path dir, String architecture, String types) {
        return tiny(dir, architecture, types, ShapePreset.TINY.shape());
    }

    /** As {@link #tiny(Path, String, String)}, at {@code shape}. */
    static Path tiny(Path dir, String architecture, String types, ModelShape shape) {
        Path file = dir.resolve(architecture + "-" + types + ".gguf");
        try {
            FixtureGenerator.write(new FixtureGenerator.Request(ModelLayout.of(architecture), shape,
                    TypeMix.parse(types), FixtureTokenizer.builtin(1024), FixtureGenerator.Weights.RANDOM, 11), file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** {@code length} random ids below 400 (tokens every built-in vocabulary has). */
    static int[] prompt(int length, long seed) {
        return new Random(seed).ints(length, 0, 400).toArray();
    }
}
