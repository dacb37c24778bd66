package dev.edgelm.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TextIndex} against a {@code HashMap} filled the way llama.cpp fills its token_to_id (last id wins), on
 * seeded random vocabularies with duplicates, texts whose {@code String} hashes collide, texts of one to four UTF-8
 * bytes per character, and lookups of absent texts. Reproduce a failure with {@code -Dtokenizer.seed=SEED}.
 */
class TextIndexTest {

    @Test
    void agreesWithAMapWhereTheLastDuplicateWins() {
        long seed = Long.getLong("tokenizer.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            String[] texts = new String[random.nextInt(1, 400)];
            Map<String, Integer> oracle = new HashMap<>();
            for (int id = 0; id < texts.length; id++) {
                texts[id] = randomText(random);
                oracle.put(texts[id], id);
            }
            TextIndex index = new TextIndex(pack(texts));
            String context = "seed " + seed + " (rerun with -Dtokenizer.seed=" + seed + "), round " + round;
            for (String text : texts) {
                assertThat(index.get(text)).as(context + ", \"" + text + "\"").isEqualTo(oracle.get(text));
            }
            for (int probe = 0; probe < 50; probe++) {
                String text = randomText(random);
                assertThat(index.get(text)).as(context + ", \"" + text + "\"")
                        .isEqualTo(oracle.getOrDefault(text, -1));
            }
        }
    }

    @Test
    void tellsApartTextsWithEqualHashCodes() {
        // "Aa" and "BB" have the same String hash, and so does every concatenation of them of equal length.
        String[] texts = {"AaAa", "AaBB", "BBAa", "BBBB", "Aa", "BB"};
        assertThat(texts[0].hashCode()).isEqualTo(texts[3].hashCode());
        TextIndex index = new TextIndex(pack(texts));
        for (int id = 0; id < texts.length; id++) {
            assertThat(index.get(texts[id])).isEqualTo(id);
        }
        assertThat(index.get("AaA")).isEqualTo(-1);
    }

    @Test
    void findsTextsOfEveryUtf8LengthAndNoPrefixOrExtension() {
        String[] texts = {"a", "\u00e9", "\u20ac", "\ud83d\ude00", "a\ud83d\ude00\u00e9", "\u20ac\u20ac"};
        TextIndex index = new TextIndex(pack(texts));
        for (int id = 0; id < texts.length; id++) {
            assertThat(index.get(texts[id])).as(texts[id]).isEqualTo(id);
        }
        for (String absent : new String[] {"", "\u20ac\u20ac\u20ac", "a\ud83d\ude00", "\ud83d", "\ude00", "\u00e9a"}) {
            assertThat(index.get(absent)).as(absent).isEqualTo(-1);
        }
    }

    private static PackedBytes pack(String[] texts) {
        PackedBytes.Builder builder = new PackedBytes.Builder(texts.length);
        for (String text : texts) {
            builder.add(text.getBytes(StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    /** Short texts from a small alphabet, so that duplicates are common; colliding pairs from "Aa"/"BB". */
    private static String randomText(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        int parts = random.nextInt(0, 4);
        for (int i = 0; i < parts; i++) {
            sb.append(switch (random.nextInt(5)) {
                case 0 -> "Aa";
                case 1 -> "BB";
                case 2 -> String.valueOf((char) ('a' + random.nextInt(3)));
                case 3 -> "\u0120" + (char) ('x' + random.nextInt(3));
                default -> random.nextBoolean() ? "\u20ac" : "\ud83d\ude00";
            });
        }
        return sb.toString();
    }
}
