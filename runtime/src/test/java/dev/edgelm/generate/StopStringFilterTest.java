package dev.edgelm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

    @Test
    void releasesTextThatCannotStartAStopString() {
        StopStringFilter filter = new StopStringFilter(List.of("END"));
        assertThat(filter.accept("Hello ")).isEqualTo("Hello ");
        assertThat(filter.accept("wor")).isEqualTo("wor");
        assertThat(filter.stopped()).isFalse();
    }

    @Test
    void holdsBackAPossibleStartAndReleasesItWhenItDoesNotContinue() {
        StopStringFilter filter = new StopStringFilter(List.of("END"));
        assertThat(filter.accept("a E")).isEqualTo("a ");
        assertThat(filter.accept("N")).isEmpty();
        assertThat(filter.accept("d")).isEqualTo("ENd");
        assertThat(filter.text()).isEqualTo("a ENd");
    }

    @Test
    void stopsAtAStopStringSplitAcrossPiecesAndDropsEverythingFromIt() {
        StopStringFilter filter = new StopStringFilter(List.of("<|stop|>"));
        assertThat(filter.accept("answer: 42<|st")).isEqualTo("answer: 42");
        assertThat(filter.accept("op|> and more")).isEmpty();
        assertThat(filter.stopped()).isTrue();
        assertThat(filter.text()).isEqualTo("answer: 42");
        assertThatThrownBy(() -> filter.accept("x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopStringFilter filter = new StopStringFilter(List.of("world", "lo w"));
        assertThat(filter.accept("hello world")).isEqualTo("hel");
        assertThat(filter.text()).isEqualTo("hel");
    }

    @Test
    void flushReleasesWhatWasHeldBack() {
        StopStringFilter filter = new StopStringFilter(List.of("###"));
        assertThat(filter.accept("done #")).isEqualTo("done ");
        assertThat(filter.flush()).isEqualTo("#");
        assertThat(filter.text()).isEqualTo("done #");
    }

    /**
     * Property: however the text is cut into pieces, the released pieces concatenate to the text up to the first
     * stop string (the whole text when there is none), and nothing released ever contains a stop string.
     */
    @Test
    void anySplitReleasesExactlyTheTextBeforeTheFirstStopString() {
        List<String> stops = List.of("ab", "bba", "c");
        for (int trial = 0; trial < 2_000; trial++) {
            long seed = 0x5eedL + trial;
            SplittableRandom random = new SplittableRandom(seed);
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(0, 30);
            for (int i = 0; i < length; i++) {
                text.append("abbcx".charAt(random.nextInt(5)));
            }
            String whole = text.toString();
            int expectedEnd = whole.length();
            for (String stop : stops) {
                int at = whole.indexOf(stop);
                if (at >= 0) {
                    expectedEnd = Math.min(expectedEnd, at);
                }
            }
            StopStringFilter filter = new StopStringFilter(stops);
            StringBuilder released = new StringBuilder();
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < whole.length() && !filter.stopped(); ) {
                int n = Math.min(whole.length() - i, random.nextInt(1, 5));
                pieces.add(whole.substring(i, i + n));
                released.append(filter.accept(whole.substring(i, i + n)));
                i += n;
            }
            if (!filter.stopped()) {
                released.append(filter.flush());
            }
            assertThat(released.toString()).as("seed %d, pieces %s", seed, pieces)
                    .isEqualTo(whole.substring(0, expectedEnd));
            assertThat(filter.stopped()).as("seed %d", seed).isEqualTo(expectedEnd < whole.length());
        }
    }
}
