package dev.edgelm.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * Every species the vector kernels declare has, per lane type, one shape at the configured width. The Vector API's
 * generic methods dispatch on type profiles that the whole process shares; once two shapes of one lane type have
 * run (say 64- and 128-bit shorts), C2 can compile a kernel's loop-carried vectors as objects, and a model then
 * decodes at half speed with thousands of collections, in some runs and not others, depending on what was compiled
 * first. That is not reproducible in a unit test, so this holds the cause away instead: a species of a second shape
 * has to be declared as a constant (the kernels derive none in their loops), and here it is found.
 *
 * <p>At 512 bits the row kernels' integer pipeline still runs at 256 (and Q5_0's interleaved loop with it), so that
 * width has two shapes of bytes, shorts, ints and floats; docs/benchmarks.md, "Kernels that box their vectors".
 */
class VectorShapesTest {

    @Test
    void eachLaneTypeHasOneShapeAtTheConfiguredWidth() throws Exception {
        int bits = Kernels.get().vectorBits();
        assumeThat(bits).as("the scalar kernels declare no species").isNotZero();
        Map<String, Set<Integer>> shapes = new TreeMap<>();
        List<String> declared = new ArrayList<>();
        for (Class<?> type : kernelClasses()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == VectorSpecies.class) {
                    field.setAccessible(true);
                    VectorSpecies<?> species = (VectorSpecies<?>) field.get(null);
                    shapes.computeIfAbsent(species.elementType().getName(), e -> new TreeSet<>())
                            .add(species.vectorBitSize());
                    declared.add(type.getSimpleName() + "." + field.getName() + " " + species);
                }
            }
        }
        // The kernels' own classes, found: a rename must not empty the check.
        assertThat(declared).as("species found").hasSizeGreaterThan(10);
        assertThat(shapes).containsKeys("byte", "short", "int", "float");
        assumeThat(bits).as("512 bits: the row kernels' 256-bit integer pipeline, a known second shape")
                .isNotEqualTo(512);
        shapes.forEach((lane, sizes) -> assertThat(sizes).as("%s lanes at %d bits, declared as %s", lane, bits,
                declared).hasSize(1));
    }

    /** The classes of this package (the main ones: the tests' directory is skipped), initialized. */
    private static List<Class<?>> kernelClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        URL marker = VectorKernels.class.getResource("VectorKernels.class");
        Path directory = Path.of(marker.toURI()).getParent();
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String name = file.getFileName().toString().replace(".class", "");
                classes.add(Class.forName(VectorKernels.class.getPackageName() + "." + name, true,
                        VectorKernels.class.getClassLoader()));
            }
        }
        return classes;
    }
}
