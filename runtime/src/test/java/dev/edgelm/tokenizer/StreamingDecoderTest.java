package dev.edgelm.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feeding ids one at a time yields exactly {@link Tokenizer#decode}'s text, and no chunk ever holds part of a
 * character: emoji and CJK that SentencePiece spells with {@code <0xNN>} byte tokens, and byte-level BPE tokens that
 * end inside a character.
 */
class StreamingDecoderTest {
    private static final String MIXED = "Hi 🦙 llama! 日本語のテキスト 🇺🇦 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ẞ ∮ E⋅da = Q, n → ∞ 👩‍👩‍👧‍👦 ok";

    @Test
    void spmEmojiInByteTokensIsHeldUntilComplete() {
        Tokenizer spm = SharedVocab.tokenizer("ggml-vocab-llama-spm.gguf");
        int[] ids = spm.encode("🦙");
        // Llama 2 has no llama token: four byte-fallback tokens (after the "▁" prefix token).
        assertThat(ids).hasSizeGreaterThanOrEqualTo(4);
        long byteTokens = java.util.Arrays.stream(ids).filter(id -> spm.tokenType(id) == TokenType.BYTE).count();
        assertThat(byteTokens).isEqualTo(4);
        List<String> chunks = stream(spm, ids, true);
        assertThat(String.join("", chunks)).isEqualTo("🦙");
        // Nothing until the fourth byte, then the whole emoji at once.
        assertThat(chunks.stream().filter(s -> !s.isEmpty()).toList()).containsExactly("🦙");
    }

    @Test
    void everyVocabularyStreamsMixedScriptTextExactly() {
        for (String file : SharedVocab.FILES) {
            Tokenizer tokenizer = SharedVocab.tokenizer(file);
            int[] ids = tokenizer.encode(MIXED);
            List<String> chunks = stream(tokenizer, ids, true);
            assertThat(String.join("", chunks)).as(file).isEqualTo(tokenizer.decode(ids)).isEqualTo(MIXED);
            for (String chunk : chunks) {
                assertWholeCharacters(file, chunk);
            }
        }
    }

    @Test
    void byteLevelTokensEndingInsideACharacterAreHeld() {
        Tokenizer qwen = SharedVocab.tokenizer("ggml-vocab-qwen2.gguf");
        // Rare CJK and emoji are split by byte-level BPE into tokens that cut characters apart.
        String text = "𠜎𠜱𠝹𠱓 🤌🏽 ꙮ";
        int[] ids = qwen.encode(text);
        assertThat(java.util.Arrays.stream(ids).anyMatch(id -> !isValidUtf8(qwen.tokenBytes(id))))
                .as("the text should give tokens that end inside a character").isTrue();
        List<String> chunks = stream(qwen, ids, true);
        assertThat(String.join("", chunks)).isEqualTo(text);
        chunks.forEach(chunk -> assertWholeCharacters("qwen2", chunk));
    }

    @Test
    void randomByteTokenSequencesMatchWholeDecodeIncludingInvalidUtf8() {
        Tokenizer spm = SharedVocab.tokenizer("ggml-vocab-llama-spm.gguf");
        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteIds[b] = spm.tokenId(String.format("<0x%02X>", b));
        }
        long seed = Long.getLong("tokenizer.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 2000; round++) {
            int[] ids = new int[random.nextInt(1, 24)];
            for (int i = 0; i < ids.length; i++) {
                // Mostly valid-looking UTF-8 lead and continuation bytes, so that sequences are often cut mid-way.
                int b = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt(0x80);
                    case 1 -> 0x80 + random.nextInt(0x40);
                    case 2 -> 0xC2 + random.nextInt(0x33);
                    default -> random.nextInt(256);
                };
                ids[i] = random.nextInt(5) == 0 ? random.nextInt(spm.vocabularySize()) : byteIds[b];
            }
            String whole = spm.decode(ids);
            List<String> chunks = stream(spm, ids, true);
            assertThat(String.join("", chunks))
                    .as("seed %d (rerun with -Dtokenizer.seed=%d), round %d, ids %s", seed, seed, round,
                            java.util.Arrays.toString(ids))
                    .isEqualTo(whole);
        }
    }

    @Test
    void flushEmitsAnIncompleteCharacterAsReplacement() {
        Tokenizer spm = SharedVocab.tokenizer("ggml-vocab-llama-spm.gguf");
        StreamingDecoder decoder = spm.streamingDecoder();
        assertThat(decoder.accept(spm.tokenId("<0xF0>"))).isEmpty();
        assertThat(decoder.accept(spm.tokenId("<0x9F>"))).isEmpty();
        assertThat(decoder.flush()).isEqualTo("\uFFFD");
        assertThat(decoder.accept(spm.tokenId("<0x41>"))).isEqualTo("A");
    }

    static List<String> stream(Tokenizer tokenizer, int[] ids, boolean startOfText) {
        StreamingDecoder decoder = tokenizer.streamingDecoder(false, startOfText);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) {
            chunks.add(decoder.accept(id));
        }
        chunks.add(decoder.flush());
        return chunks;
    }

    private static boolean isValidUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    private static void assertWholeCharacters(String what, String chunk) {
        for (int i = 0; i < chunk.length(); i++) {
            char c = chunk.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertThat(i + 1 < chunk.length() && Character.isLowSurrogate(chunk.charAt(i + 1)))
                        .as("%s: chunk \"%s\" ends in half a surrogate pair", what, chunk).isTrue();
                i++;
            } else {
                assertThat(Character.isLowSurrogate(c)).as("%s: lone low surrogate in \"%s\"", what, chunk).isFalse();
            }
        }
        assertThat(chunk).as("%s: replacement character in a chunk of valid text", what).doesNotContain("\uFFFD");
    }
}
