package dev.edgelm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded random text over all of Unicode (ASCII, every kind of whitespace, letters with combining marks, CJK,
 * emoji, unassigned and private-use code points, and unpaired surrogates): encoding never throws, never yields a
 * control token from plain text, and decoding gives the text back (unpaired surrogates as U+FFFD, which is what
 * encoding reads them as; for SentencePiece U+2581 excepted, since that vocabulary writes spaces with it).
 *
 * <p>Reproduce a failure with {@code -Dtokenizer.seed=SEED} (the failure message gives the seed and the text).
 */
class RandomTextTest {
    private static final int TEXTS_PER_VOCABULARY = 1500;
    private static final int[] WHITESPACE = {' ', ' ', ' ', '\t', '\n', '\r', 0x0B, 0x0C, 0x85, 0xA0, 0x1680,
        0x2000, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
    private static final String PUNCTUATION = "'\"!?.,;:-_()[]{}<>/\\|@#$%^&*+=~`";

    @Test
    void encodeNeverThrowsAndDecodeRoundTrips() {
        long seed = Long.getLong("tokenizer.seed", System.nanoTime());
        for (String file : SharedVocab.FILES) {
            Tokenizer tokenizer = SharedVocab.tokenizer(file);
            boolean spm = file.contains("spm");
            SplittableRandom random = new SplittableRandom(seed ^ file.hashCode());
            for (int i = 0; i < TEXTS_PER_VOCABULARY; i++) {
                String text = randomText(random, spm);
                String context = String.format("%s, seed %d (rerun with -Dtokenizer.seed=%d), text #%d \"%s\"",
                        file, seed, seed, i, SharedVocab.escape(text, 400));
                int[] ids;
                try {
                    ids = tokenizer.encode(text);
                } catch (RuntimeException e) {
                    throw new AssertionError("encode threw on " + context, e);
                }
                for (int id : ids) {
                    if (tokenizer.tokenType(id) == TokenType.CONTROL) {
                        fail("plain text gave control token %d in %s: %s", id, context, Arrays.toString(ids));
                    }
                }
                assertThat(tokenizer.decode(ids)).as(context).isEqualTo(Unicode.withoutLoneSurrogates(text));
            }
        }
    }

    private static String randomText(SplittableRandom random, boolean spm) {
        int length = random.nextInt(0, 40);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int cp = switch (random.nextInt(12)) {
                case 0, 1 -> 'a' + random.nextInt(26);
                case 2 -> 'A' + random.nextInt(26);
                case 3 -> '0' + random.nextInt(10);
                case 4 -> WHITESPACE[random.nextInt(WHITESPACE.length)];
                case 5 -> PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length()));
                case 6 -> 0x00C0 + random.nextInt(0x0250 - 0x00C0); // Latin letters
                case 7 -> 0x0300 + random.nextInt(0x70); // combining marks
                case 8 -> 0x4E00 + random.nextInt(0x9FFF - 0x4E00); // CJK
                case 9 -> 0x1F300 + random.nextInt(0x1FAFF - 0x1F300); // emoji and symbols
                case 10 -> random.nextInt(0x110000); // anything, unassigned and private use included
                default -> random.nextBoolean() ? 0xD800 + random.nextInt(0x400) : 0xDC00 + random.nextInt(0x400);
            };
            if (spm && cp == 0x2581) {
                cp = '_';
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
