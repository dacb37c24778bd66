package dev.edgelm.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code decode(encode(text)) == text} on every shared input text, for the three vocabularies.
 *
 * <p>Byte-level BPE is lossless, so every text round-trips. SentencePiece encoding puts a space in front of the
 * text; {@link Tokenizer#decode} removes it again at the start of a text, so SentencePiece texts round-trip too,
 * and the ids themselves must decode to {@code " " + text} when decoded as a continuation (a streaming decoder not
 * at the start of a text).
 */
class RoundTripTest {

    @TestFactory
    Stream<DynamicContainer> sharedTextsRoundTrip() {
        SharedVocab.dir();
        return SharedVocab.FILES.stream().map(file -> DynamicContainer.dynamicContainer(file,
                SharedVocab.cases(file).stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> {
                    Tokenizer tokenizer = SharedVocab.tokenizer(file);
                    int[] ids = tokenizer.encode(c.text());
                    assertThat(tokenizer.decode(ids)).isEqualTo(c.text());
                    // With BOS (and the model's other additions), the special tokens render as nothing.
                    assertThat(tokenizer.decode(tokenizer.encode(c.text(), true, false))).isEqualTo(c.text());
                    // As a continuation nothing is stripped: SentencePiece's added space shows.
                    StreamingDecoder continuation = tokenizer.streamingDecoder(false, false);
                    StringBuilder sb = new StringBuilder();
                    for (int id : ids) {
                        sb.append(continuation.accept(id));
                    }
                    sb.append(continuation.flush());
                    boolean spm = file.contains("spm");
                    assertThat(sb.toString()).isEqualTo(spm && !c.text().isEmpty() ? " " + c.text() : c.text());
                }))));
    }
}
