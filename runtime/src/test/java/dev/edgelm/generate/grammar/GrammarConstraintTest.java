package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufValue;
import dev.edgelm.tokenizer.TokenType;
import dev.edgelm.tokenizer.Tokenizer;
import dev.edgelm.tokenizer.Tokenizers;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The token level on real vocabularies: the allowed set against a reference that decodes each token's bytes with
 * the JDK's strict UTF-8 decoder, characters split across tokens, invalid UTF-8, control and end tokens, and the
 * error when no token can continue.
 */
class GrammarConstraintTest {
    /** Three-byte characters in a class, four-byte ones in a range, and a complete end. */
    static final String UNICODE = "root ::= \"「\" [ぁ-ゟ]+ \"」\" (\" \" [\\U0001F600-\\U0001F602]{1,2})?";

    static Stream<Arguments> vocabulariesAndGrammars() {
        return GrammarFixtures.VOCABULARIES.stream()
                .flatMap(v -> Stream.of(Arguments.of(v, "json"), Arguments.of(v, "unicode")));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("vocabulariesAndGrammars")
    void theAllowedTokensAreExactlyThoseThatKeepTheTextAValidPrefix(String vocabulary, String name) {
        Tokenizer tokenizer = GrammarFixtures.tokenizer(vocabulary);
        Grammar grammar = Grammar.parse(name.equals("json") ? GrammarFixtures.JSON : UNICODE);
        long seed = vocabulary.hashCode() * 31L + name.hashCode();
        SplittableRandom random = new SplittableRandom(seed);
        GrammarConstraint constraint = new GrammarConstraint(grammar, tokenizer);
        Reference reference = new Reference(grammar, tokenizer);
        List<Integer> accepted = new ArrayList<>();
        for (int step = 0; step < 8 && !constraint.isComplete(); step++) {
            BitSet expected = reference.allowed();
            BitSet actual = constraint.allowedTokens();
            String where = "seed " + seed + ", after tokens " + accepted;
            assertThat(actual).as(where).isEqualTo(expected);
            for (int t = 0; t < tokenizer.vocabularySize(); t++) {
                if (constraint.allows(t) != expected.get(t)) {
                    throw new AssertionError(where + ": allows(" + t + ") is " + constraint.allows(t));
                }
            }
            assertThat(constraint.canEnd()).as(where).isEqualTo(reference.canEnd());
            int token = pick(random, expected, tokenizer);
            constraint.accept(token);
            reference.accept(token);
            accepted.add(token);
        }
    }

    /** A random allowed token; every other time one that splits a character, when there is one. */
    private static int pick(SplittableRandom random, BitSet allowed, Tokenizer tokenizer) {
        int[] ids = allowed.stream().toArray();
        int[] splitting = Arrays.stream(ids)
                .filter(t -> GrammarFixtures.splitsACharacter(tokenizer.tokenBytes(t))).toArray();
        return splitting.length > 0 && random.nextBoolean() ? splitting[random.nextInt(splitting.length)]
                : ids[random.nextInt(ids.length)];
    }

    @Test
    void aCharacterSplitAcrossByteTokensIsCarriedFromTokenToToken() {
        Tokenizer toy = toy(true, "é", "x");
        GrammarConstraint constraint = new GrammarConstraint(Grammar.parse("root ::= \"é😀\""), toy);
        assertThat(allowedTexts(toy, constraint)).containsExactlyInAnyOrder("<0xC3>", "é");
        for (String next : List.of("<0xC3>", "<0xA9>", "<0xF0>", "<0x9F>", "<0x98>")) {
            constraint.accept(toy.tokenId(next));
            assertThat(constraint.canEnd()).isFalse();
            assertThat(constraint.isComplete()).isFalse();
        }
        assertThat(allowedTexts(toy, constraint)).containsExactly("<0x80>");
        constraint.accept(toy.tokenId("<0x80>"));
        assertThat(constraint.isComplete()).isTrue();
        assertThat(allowedTexts(toy, constraint)).containsExactly("</s>");
    }

    @Test
    void invalidUtf8IsNeverAllowed() {
        Tokenizer toy = toy(true);
        Grammar any = Grammar.parse("root ::= .*");
        GrammarConstraint start = new GrammarConstraint(any, toy);
        // Lead bytes C0, C1 and F5-FF never start a valid character; continuation bytes never start one.
        assertThat(allowedBytes(toy, start)).isEqualTo(union(range(0x00, 0x7F), range(0xC2, 0xF4)));
        Map<Integer, BitSet> afterLead = Map.of(
                0xC2, range(0x80, 0xBF),
                0xE0, range(0xA0, 0xBF), // E0 80..9F would be overlong
                0xED, range(0x80, 0x9F), // ED A0..BF would be a surrogate
                0xF0, range(0x90, 0xBF), // F0 80..8F would be overlong
                0xF4, range(0x80, 0x8F)); // F4 90.. would be beyond U+10FFFF
        afterLead.forEach((lead, expected) -> {
            GrammarConstraint constraint = new GrammarConstraint(any, toy);
            constraint.accept(toy.tokenId(String.format("<0x%02X>", lead)));
            assertThat(allowedBytes(toy, constraint)).as("after %02X", lead).isEqualTo(expected);
            assertThat(constraint.canEnd()).isFalse();
        });
    }

    @Test
    void aTokenEndingInsideACharacterIsAllowedOnlyIfTheGrammarAllowsSomeWayToFinishIt() {
        Tokenizer toy = toy(true);
        // U+3041..U+309F all start with E3 81 or E3 82; U+4E00 starts with E4.
        GrammarConstraint constraint = new GrammarConstraint(Grammar.parse("root ::= [ぁ-ゟ]"), toy);
        assertThat(allowedBytes(toy, constraint)).isEqualTo(range(0xE3, 0xE3));
        constraint.accept(toy.tokenId("<0xE3>"));
        assertThat(allowedBytes(toy, constraint)).isEqualTo(range(0x81, 0x82));
    }

    @Test
    void controlUnknownAndEmptyTokensAreNeverAllowedAndEndTokensOnlyOnceTheTextIsComplete() {
        Tokenizer qwen = GrammarFixtures.tokenizer("ggml-vocab-qwen2.gguf");
        Grammar grammar = Grammar.parse("root ::= [a-z]+");
        GrammarConstraint constraint = new GrammarConstraint(grammar, qwen);
        int imStart = qwen.tokenId("<|im_start|>");
        int imEnd = qwen.tokenId("<|im_end|>");
        assertThat(qwen.isEndOfGeneration(imEnd)).isTrue();
        assertThat(constraint.allows(imStart)).isFalse();
        assertThat(constraint.allows(imEnd)).as("nothing generated yet").isFalse();
        assertThat(constraint.allows(qwen.tokenId("hello"))).isTrue();
        constraint.accept(qwen.tokenId("hello"));
        assertThat(constraint.canEnd()).isTrue();
        assertThat(constraint.isComplete()).as("more letters may follow").isFalse();
        assertThat(constraint.allows(imEnd)).isTrue();
        assertThat(constraint.allows(imStart)).isFalse();
        BitSet allowed = constraint.allowedTokens();
        allowed.stream().filter(t -> !qwen.isEndOfGeneration(t)).forEach(t -> {
            assertThat(qwen.tokenType(t)).isIn(TokenType.NORMAL, TokenType.USER_DEFINED, TokenType.BYTE);
            assertThat(qwen.tokenBytes(t)).isNotEmpty();
        });
        constraint.accept(imEnd);
        assertThat(constraint.isComplete()).isTrue();
        assertThatThrownBy(constraint::allowedTokens).isInstanceOf(GrammarException.class)
                .hasMessageContaining("the output has ended");

        GrammarConstraint goingOn = new GrammarConstraint(grammar, qwen, false);
        goingOn.accept(qwen.tokenId("hello"));
        assertThat(goingOn.allows(imEnd)).as("end tokens would not end the text").isFalse();
        assertThat(goingOn.allowedTokens().get(imEnd)).isFalse();
    }

    @Test
    void theTextIsCompleteWhenNothingCanFollowIt() {
        Tokenizer toy = toy(false, "a", "b", "ab");
        GrammarConstraint constraint = new GrammarConstraint(Grammar.parse("root ::= \"ab\" \"b\"?"), toy);
        assertThat(allowedTexts(toy, constraint)).containsExactlyInAnyOrder("a", "ab");
        constraint.accept(toy.tokenId("ab"));
        assertThat(constraint.canEnd()).isTrue();
        assertThat(constraint.isComplete()).isFalse();
        assertThat(allowedTexts(toy, constraint)).containsExactlyInAnyOrder("b", "</s>");
        constraint.accept(toy.tokenId("b"));
        assertThat(constraint.isComplete()).isTrue();
        assertThat(new GrammarConstraint(Grammar.parse("root ::= \"\""), toy).isComplete()).isTrue();
    }

    @Test
    void maskLogitsBansExactlyTheTokensThatAreNotAllowed() {
        Tokenizer toy = toy(false, "a", "b", "ab", "ba");
        GrammarConstraint constraint = new GrammarConstraint(Grammar.parse("root ::= \"a\"+"), toy);
        float[] logits = new float[toy.vocabularySize()];
        Arrays.fill(logits, 1.5f);
        constraint.maskLogits(logits);
        BitSet allowed = constraint.allowedTokens();
        for (int t = 0; t < logits.length; t++) {
            assertThat(logits[t]).as("token %d", t).isEqualTo(allowed.get(t) ? 1.5f : Float.NEGATIVE_INFINITY);
        }
        assertThat(allowed.cardinality()).isEqualTo(1);
        assertThatThrownBy(() -> constraint.maskLogits(new float[3])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> constraint.accept(toy.tokenId("b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token " + toy.tokenId("b") + " does not continue the grammar here");
    }

    @Test
    void whenNoTokenCanWriteTheNextCharacterTheErrorSaysWhatTheGrammarNeeds() {
        Tokenizer toy = toy(false, "a", "b");
        GrammarConstraint constraint = new GrammarConstraint(Grammar.parse("root ::= \"a\" [c-d]"), toy);
        constraint.accept(toy.tokenId("a"));
        assertThat(constraint.allows(toy.tokenId("b"))).isFalse();
        assertThatThrownBy(constraint::allowedTokens)
                .isInstanceOf(GrammarException.class)
                .hasMessage("no token of the vocabulary can continue the output after 1 tokens: the grammar needs"
                        + " one of [cd] next");
    }

    @Test
    void theTokenTrieIsBuiltOncePerTokenizer() {
        Tokenizer toy = toy(false, "a");
        new GrammarConstraint(Grammar.parse("root ::= \"a\""), toy);
        TokenTrie trie = toy.derived(TokenTrie.class, t -> {
            throw new AssertionError("built twice");
        });
        new GrammarConstraint(Grammar.parse("root ::= \"b\"?"), toy);
        assertThat(toy.derived(TokenTrie.class, TokenTrie::new)).isSameAs(trie);
        assertThat(trie.nodes()).isEqualTo(1);
    }

    /**
     * A small SentencePiece vocabulary: {@code <unk>}, {@code <s>}, {@code </s>} (EOS), the 256 byte tokens
     * {@code <0xNN>} if asked, then {@code texts}.
     */
    static Tokenizer toy(boolean byteTokens, String... texts) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        if (byteTokens) {
            for (int b = 0; b < 256; b++) {
                tokens.add(String.format("<0x%02X>", b));
                types.add(6);
            }
        }
        for (String text : texts) {
            tokens.add(text);
            types.add(1);
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("tokenizer.ggml.model", new GgufValue.Str("llama"));
        metadata.put("tokenizer.ggml.tokens", GgufStringArray.of(tokens));
        metadata.put("tokenizer.ggml.token_type",
                GgufNumericArray.ofInts(types.stream().mapToInt(Integer::intValue).toArray()));
        return Tokenizers.fromGguf(GgufMetadata.of(metadata));
    }

    private static List<String> allowedTexts(Tokenizer tokenizer, GrammarConstraint constraint) {
        return constraint.allowedTokens().stream().mapToObj(tokenizer::tokenText).toList();
    }

    /** The byte values {@code NN} of the allowed {@code <0xNN>} tokens. */
    private static BitSet allowedBytes(Tokenizer toy, GrammarConstraint constraint) {
        BitSet bytes = new BitSet();
        constraint.allowedTokens().stream().mapToObj(toy::tokenText).filter(t -> t.startsWith("<0x"))
                .forEach(t -> bytes.set(Integer.parseInt(t.substring(3, 5), 16)));
        return bytes;
    }

    private static BitSet range(int from, int to) {
        BitSet set = new BitSet();
        set.set(from, to + 1);
        return set;
    }

    private static BitSet union(BitSet a, BitSet b) {
        BitSet set = (BitSet) a.clone();
        set.or(b);
        return set;
    }

    /**
     * The reference: the text's bytes so far, its complete characters run through a code-point automaton of its
     * own, the bytes of an incomplete last character kept apart; a token is allowed if its bytes decode (JDK,
     * strict) to characters the automaton takes, ending, if at all, in an incomplete character that begins the
     * UTF-8 encoding of some character the grammar allows next (found by encoding every such character).
     */
    private static final class Reference {
        private final Tokenizer tokenizer;
        private final Automaton automaton;
        private final CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder();
        private final Map<Integer, Set<Long>> prefixes = new HashMap<>();
        private int state;
        private byte[] pending = new byte[0];

        Reference(Grammar grammar, Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            this.automaton = grammar.automaton();
            this.state = automaton.start();
        }

        boolean canEnd() {
            return pending.length == 0 && automaton.isAccepting(state);
        }

        BitSet allowed() {
            BitSet allowed = new BitSet();
            for (int t = 0; t < tokenizer.vocabularySize(); t++) {
                if (tokenizer.isEndOfGeneration(t)) {
                    if (canEnd()) {
                        allowed.set(t);
                    }
                } else if (tokenizer.tokenType(t) != TokenType.CONTROL && tokenizer.tokenType(t) != TokenType.UNKNOWN
                        && tokenizer.tokenBytes(t).length > 0 && run(tokenizer.tokenBytes(t)) != null) {
                    allowed.set(t);
                }
            }
            return allowed;
        }

        void accept(int token) {
            if (tokenizer.isEndOfGeneration(token)) {
                return;
            }
            Object[] result = run(tokenizer.tokenBytes(token));
            state = (int) result[0];
            pending = (byte[]) result[1];
        }

        /** {state, pending bytes} after the token's bytes, or null if they are not allowed. */
        private Object[] run(byte[] token) {
            byte[] bytes = new byte[pending.length + token.length];
            System.arraycopy(pending, 0, bytes, 0, pending.length);
            System.arraycopy(token, 0, bytes, pending.length, token.length);
            int s = state;
            int i = 0;
            while (i < bytes.length) {
                int b = bytes[i] & 0xFF;
                int length = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3
                        : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
                if (length == 0) {
                    return null;
                }
                if (i + length > bytes.length) {
                    byte[] tail = Arrays.copyOfRange(bytes, i, bytes.length);
                    return prefixesAllowedIn(s).contains(key(tail, tail.length)) ? new Object[] {s, tail} : null;
                }
                int c;
                try {
                    CharBuffer chars = strict.reset().decode(ByteBuffer.wrap(bytes, i, length));
                    c = Character.codePointAt(chars, 0);
                } catch (CharacterCodingException e) {
                    return null;
                }
                s = automaton.next(s, c);
                if (s == Automaton.DEAD) {
                    return null;
                }
                i += length;
            }
            return new Object[] {s, new byte[0]};
        }

        /** The proper prefixes of the UTF-8 encodings of every character allowed in {@code s}. */
        private Set<Long> prefixesAllowedIn(int s) {
            return prefixes.computeIfAbsent(s, k -> {
                Set<Long> set = new HashSet<>();
                CodePointSet allowed = automaton.firstSet(s);
                IntStream.rangeClosed(0x80, Character.MAX_CODE_POINT)
                        .filter(c -> (c < 0xD800 || c > 0xDFFF) && allowed.contains(c))
                        .forEach(c -> {
                            byte[] e = Character.toString(c).getBytes(StandardCharsets.UTF_8);
                            for (int n = 1; n < e.length; n++) {
                                set.add(key(e, n));
                            }
                        });
                return set;
            });
        }

        private static long key(byte[] bytes, int n) {
            long key = n;
            for (int i = 0; i < n; i++) {
                key = key << 8 | (bytes[i] & 0xFF);
            }
            return key;
        }
    }
}
