package dev.edgelm.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every case of llama.cpp's tokenizer tests in {@code ../shared/vocab}: encoding each text with no BOS/EOS and
 * special tokens not parsed gives exactly llama.cpp's ids. One dynamic test per case, named by its text.
 */
class VocabConformanceTest {

    @TestFactory
    Stream<DynamicContainer> everyCaseMatchesLlamaCpp() {
        SharedVocab.dir();
        return SharedVocab.FILES.stream().map(file -> DynamicContainer.dynamicContainer(file,
                SharedVocab.cases(file).stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> {
                    Tokenizer tokenizer = SharedVocab.tokenizer(file);
                    int[] actual = tokenizer.encode(c.text(), false, false);
                    assertThat(actual)
                            .as("%s case %d \"%s\": got %s, expected %s", file, c.index(),
                                    SharedVocab.escape(c.text(), 200), Arrays.toString(actual),
                                    Arrays.toString(c.expected()))
                            .containsExactly(c.expected());
                }))));
    }
}
