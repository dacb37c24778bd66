package dev.edgelm.generate.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.edgelm.generate.sampling.Reference.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

class LogitsTest {

    @Test
    void keysOrderByLogitDescendingThenIdAscending() {
        float[] values = {Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, -3.5f, -1f, -Float.MIN_VALUE, -0.0f, 0.0f,
            Float.MIN_VALUE, 1e-30f, 1f, 2.25f, Float.MAX_VALUE};
        int[] ids = {0, 1, 2, 1 << 20, Integer.MAX_VALUE};
        for (float a : values) {
            for (int ia : ids) {
                long ka = Logits.key(a, ia);
                assertThat(Logits.id(ka)).isEqualTo(ia);
                assertThat(Logits.logit(ka)).isEqualTo(a + 0.0f);
                for (float b : values) {
                    for (int ib : ids) {
                        // the ranking: higher logit first (-0.0 == +0.0), then lower id
                        int expected = a == b ? Integer.compare(ia, ib) : Float.compare(b, a);
                        assertThat(Integer.signum(Long.compare(ka, Logits.key(b, ib))))
                                .as("key(%s, %d) vs key(%s, %d)", a, ia, b, ib)
                                .isEqualTo(Integer.signum(expected));
                    }
                }
            }
        }
    }

    @Test
    void selectTopMatchesAFullSortOnSeededRandomVectors() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 500; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, r.nextBoolean() ? 50 : 5000);
            float[] logits = Reference.randomLogits(r, n);
            int k = r.nextInt(1, n + 5);
            long[] out = new long[k];
            int count = Logits.selectTop(logits, n, k, out);
            int[] expected = Reference.ranking(logits);
            expected = Arrays.copyOf(expected, Math.min(k, expected.length));
            int[] actual = Arrays.stream(out, 0, count).mapToInt(Logits::id).toArray();
            assertThat(actual).as("case seed %d (n %d, k %d; rerun with -Dsampling.seed=%d)", caseSeed, n, k, SEED)
                    .containsExactly(expected);
            for (int i = 0; i < count; i++) {
                assertThat(Logits.logit(out[i])).isEqualTo(logits[actual[i]]);
            }
        }
    }

    @Test
    void selectPrefixPutsTheBestKeysFirstInOrderAndKeepsTheRest() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int round = 0; round < 300; round++) {
            long caseSeed = random.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = r.nextInt(1, 3000);
            float[] logits = Reference.randomLogits(r, n);
            long[] keys = new long[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (logits[i] != Float.NEGATIVE_INFINITY) {
                    keys[count++] = Logits.key(logits[i], i);
                }
            }
            long[] sorted = Arrays.copyOf(keys, count);
            Arrays.sort(sorted);
            int m = r.nextInt(0, count + 2);
            Logits.selectPrefix(keys, count, m);
            String context = "case seed " + caseSeed + " (n " + n + ", m " + m + ")";
            assertThat(Arrays.copyOf(keys, Math.min(m, count))).as(context)
                    .containsExactly(Arrays.copyOf(sorted, Math.min(m, count)));
            long[] all = Arrays.copyOf(keys, count);
            Arrays.sort(all);
            assertThat(all).as(context + ": the same keys, rearranged").containsExactly(sorted);
        }
    }

    @Test
    void argmaxTakesTheLowestIdAmongTies() {
        assertThat(Logits.argmax(new float[] {1f, 3f, 3f, 2f}, 4)).isEqualTo(1);
        assertThat(Logits.argmax(new float[] {0f, 0f, 0f}, 3)).isEqualTo(0);
        assertThat(Logits.argmax(new float[] {Float.NEGATIVE_INFINITY, -5f}, 2)).isEqualTo(1);
    }

    @Test
    void unusableLogitsAreRejectedWithTheTokenNamed() {
        assertThatThrownBy(() -> Logits.argmax(new float[] {1f, Float.NaN}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logit of token 1 is NaN");
        assertThatThrownBy(() -> Logits.logSumExp(new float[] {Float.POSITIVE_INFINITY}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 0 is Infinity");
        assertThatThrownBy(() -> Logits.selectTop(new float[] {0f, 1f, Float.NaN}, 3, 2, new long[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 2 is NaN");
        float[] banned = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertThatThrownBy(() -> Logits.argmax(banned, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all 2 logits are -Infinity");
        assertThatThrownBy(() -> Logits.logSumExp(banned, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all 2 logits are -Infinity");
    }

    @Test
    void logSumExpIsStableForHugeLogits() {
        float[] logits = {1000f, 1000f, Float.NEGATIVE_INFINITY, -1000f};
        assertThat(Logits.logSumExp(logits, 4)).isCloseTo(1000 + Math.log(2), offset(1e-9));
    }
}
