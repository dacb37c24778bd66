package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Random grammars against a reference: each {@link RandomGrammar} is also a Java regular expression, and the
 * matcher must agree with it on whole texts and on prefixes, for sentences, near misses and random texts; and the
 * matcher run incrementally, one code point at a time on one automaton, must agree with fresh whole-text checks.
 */
class GrammarProperties {
    private static final long SEED = 0x6E6F_6D69_6E61_6CL;
    private static final int GRAMMARS = 400;

    @Test
    void randomGrammarsMatchWhatTheirRegularExpressionMatches() {
        SplittableRandom seeds = new SplittableRandom(SEED);
        for (int n = 0; n < GRAMMARS; n++) {
            long seed = seeds.nextLong();
            SplittableRandom random = new SplittableRandom(seed);
            RandomGrammar reference = RandomGrammar.generate(random, 10);
            Grammar grammar = parse(reference, seed);
            for (String text : texts(reference, random)) {
                Matcher m = reference.regex().matcher(text);
                boolean whole = m.matches();
                // hitEnd: the regex engine read to the end, so some continuation could still match.
                boolean prefix = whole || m.hitEnd();
                String where = describe(seed, reference, text);
                assertThat(grammar.accepts(text)).as("accepts, %s", where).isEqualTo(whole);
                assertThat(grammar.acceptsPrefix(text)).as("acceptsPrefix, %s", where).isEqualTo(prefix);
            }
        }
    }

    @Test
    void theIncrementalMatcherAgreesWithWholeTextChecksAtEveryPrefix() {
        SplittableRandom seeds = new SplittableRandom(SEED + 1);
        for (int n = 0; n < GRAMMARS / 4; n++) {
            long seed = seeds.nextLong();
            SplittableRandom random = new SplittableRandom(seed);
            RandomGrammar reference = RandomGrammar.generate(random, 10);
            Grammar grammar = parse(reference, seed);
            Automaton automaton = grammar.automaton(); // one automaton for all texts: its memo tables fill up
            for (String text : texts(reference, random)) {
                int state = automaton.start();
                int[] cps = text.codePoints().toArray();
                for (int i = 0; i <= cps.length; i++) {
                    String prefix = new String(cps, 0, i);
                    String where = describe(seed, reference, prefix);
                    assertThat(automaton.isAccepting(state)).as("accepting, %s", where)
                            .isEqualTo(grammar.accepts(prefix));
                    assertThat(state != Automaton.DEAD).as("alive, %s", where)
                            .isEqualTo(grammar.acceptsPrefix(prefix));
                    if (i < cps.length) {
                        state = automaton.next(state, cps[i]);
                    }
                }
            }
        }
    }

    private static Grammar parse(RandomGrammar reference, long seed) {
        try {
            return Grammar.parse(reference.gbnf());
        } catch (GrammarException e) {
            return fail("seed %d: %s%n%s", seed, e.getMessage(), reference.gbnf());
        }
    }

    /** Sentences, near misses and random texts, none long enough to make the regex engine backtrack for ages. */
    private static List<String> texts(RandomGrammar reference, SplittableRandom random) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            texts.add(reference.sentence(random));
            texts.add(reference.nearMiss(random));
            StringBuilder noise = new StringBuilder();
            for (int n = random.nextInt(5); n > 0; n--) {
                noise.appendCodePoint(RandomGrammar.letter(random));
            }
            texts.add(noise.toString());
        }
        texts.removeIf(t -> t.codePointCount(0, t.length()) > 24);
        return texts;
    }

    private static String describe(long seed, RandomGrammar reference, String text) {
        return String.format("seed %d, text \"%s\"%ngrammar:%n%sregex: %s", seed, text.replace("\n", "\\n"),
                reference.gbnf(), reference.regex());
    }
}
