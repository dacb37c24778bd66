package dev.edgelm.generate.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GBNF syntax: every construct, and every error with its position and message. */
class GrammarParseTest {

    private static Grammar grammar(String gbnf) {
        return Grammar.parse(gbnf);
    }

    private static void assertAccepts(String gbnf, String... texts) {
        Grammar g = grammar(gbnf);
        for (String text : texts) {
            assertThat(g.accepts(text)).as("%s accepts \"%s\"", gbnf, text).isTrue();
        }
    }

    private static void assertRejects(String gbnf, String... texts) {
        Grammar g = grammar(gbnf);
        for (String text : texts) {
            assertThat(g.accepts(text)).as("%s rejects \"%s\"", gbnf, text).isFalse();
        }
    }

    private static void assertError(String gbnf, String message) {
        assertThatThrownBy(() -> Grammar.parse(gbnf)).as(gbnf)
                .isInstanceOf(GrammarException.class)
                .hasMessage(message);
    }

    @Test
    void literalsSequencesAndAlternatives() {
        String gbnf = "root ::= \"ab\" \"c\" | \"x\" | \"\"";
        assertAccepts(gbnf, "abc", "x", "");
        assertRejects(gbnf, "ab", "abcx", "xx", "y");
    }

    @Test
    void escapesInStrings() {
        assertAccepts("root ::= \"\\n\\r\\t\\\\\\\"\\[\\]\\-\"", "\n\r\t\\\"[]-");
        assertAccepts("root ::= \"\\x41\\u00e9\\U0001F600\"", "Aé😀");
        assertAccepts("root ::= \"é😀\"", "é😀");
        assertRejects("root ::= \"😀\"", "\uD83D");
    }

    @Test
    void characterClassesRangesNegationAndAny() {
        assertAccepts("root ::= [a-c0-9_]", "a", "b", "c", "0", "9", "_");
        assertRejects("root ::= [a-c0-9_]", "d", "-", "", "ab");
        assertAccepts("root ::= [^\"\\\\]", "a", "é", "😀", "\n");
        assertRejects("root ::= [^\"\\\\]", "\"", "\\");
        assertAccepts("root ::= [a-]", "a", "-");
        assertAccepts("root ::= [\\]\\[\\-]", "]", "[", "-");
        assertAccepts("root ::= [\\x00-\\x1F]", "\u0000", "\u001f");
        assertAccepts("root ::= [ぁ-ゟ]", "ぁ", "ゟ", "は");
        assertRejects("root ::= [ぁ-ゟ]", "a", "ア");
        assertAccepts("root ::= .", "a", "\n", "😀");
        assertRejects("root ::= .", "", "ab");
    }

    @Test
    void groupsAndRepetition() {
        assertAccepts("root ::= (\"a\" | \"b\")* \"c\"", "c", "abbac");
        assertRejects("root ::= (\"a\" | \"b\")* \"c\"", "ab", "cc");
        assertAccepts("root ::= \"ab\"+", "ab", "abab");
        assertRejects("root ::= \"ab\"+", "", "aba");
        assertAccepts("root ::= \"a\"? \"b\"", "ab", "b");
        assertAccepts("root ::= [0-9]{3}", "123");
        assertRejects("root ::= [0-9]{3}", "12", "1234");
        assertAccepts("root ::= \"x\"{2,}", "xx", "xxxxxxx");
        assertRejects("root ::= \"x\"{2,}", "x");
        assertAccepts("root ::= \"x\"{1,3}", "x", "xx", "xxx");
        assertRejects("root ::= \"x\"{1,3}", "", "xxxx");
        assertAccepts("root ::= \"x\"{,2}", "", "x", "xx");
        assertRejects("root ::= \"x\"{,2}", "xxx");
        assertAccepts("root ::= \"x\"{0}", "");
        assertAccepts("root ::= ( \"a\" ){ 2 , 3 }", "aa", "aaa");
        assertAccepts("root ::= (\"a\"{2})+", "aa", "aaaa");
        assertRejects("root ::= (\"a\"{2})+", "aaa");
        assertAccepts("root ::= \"a\"*?", "", "aaa");
    }

    @Test
    void repetitionOfAnItemThatCanBeEmptyIsNotLeftRecursion() {
        // llama.cpp rejects these as left-recursive; they only loop without pushing anything, so they run here.
        assertAccepts("root ::= (\"a\"?)* \"b\"", "b", "aab");
        assertAccepts("root ::= (\"a\"* \"b\"?)+", "", "ab", "bba");
    }

    @Test
    void rulesReferencesNamesCommentsAndLayout() {
        String gbnf = """
                # a comment before any rule

                root ::= greeting ws name-2 # after items
                greeting ::=
                    "hello" |
                    "hi"
                name-2 ::= (
                    # comments and line breaks inside a group
                    [A-Z] [a-z]*
                  | "you"
                )
                ws ::= [ \\t]+\r
                """;
        assertAccepts(gbnf, "hello Ann", "hi\tyou");
        assertRejects(gbnf, "hello", "hey you", "hi ann");
    }

    @Test
    void emptyAlternativesAndEmptyRules() {
        assertAccepts("root ::= \"a\" opt\nopt ::= | \"b\"", "a", "ab");
        assertAccepts("root ::= \"a\" (\"b\" | )", "a", "ab");
        assertAccepts("root ::=", "");
        assertRejects("root ::=", "a");
    }

    @Test
    void recursionThatConsumesCharactersFirstIsFine() {
        String gbnf = "root ::= item*\nitem ::= \"(\" item* \")\" | \"x\"";
        assertAccepts(gbnf, "", "x", "()", "(x(x))x", "((()))");
        assertRejects(gbnf, "(", ")", "(x))", "y");
    }

    @Test
    void theLlamaCppJsonGrammarParsesAndMatches() {
        Grammar json = grammar(GrammarFixtures.JSON);
        assertThat(json.accepts("{\"a\": [1, -2.5e+3, \"x\\n\\u00e9\", true, null, {}], \"b\": \"😀\"}")).isTrue();
        assertThat(json.accepts("{\"a\": [1, 2}")).isFalse();
        assertThat(json.accepts("{\"a\": 01}")).isFalse();
        assertThat(json.acceptsPrefix("{\"a\": [1, 2")).isTrue();
        assertThat(json.acceptsPrefix("{\"a\" 1")).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", quoteCharacter = '`', textBlock = """
            root ::= "a => grammar error at 1:10: unterminated string: expected '"' to close it, found the end of the grammar
            `root ::= "a\\n"` => grammar error at 1:10: unterminated string: expected '"' before the end of the line (write a line break as \\n)
            root ::= [a-z => grammar error at 1:10: unterminated character class: expected ']' to close it, found the end of the grammar
            root ::= [a- => grammar error at 1:10: unterminated character class: expected ']' to close it, found the end of the grammar
            root ::= [] => grammar error at 1:10: empty character class [] matches nothing
            root ::= [^] => grammar error at 1:10: empty character class [^] (write . for any character)
            root ::= [^\\x00-\\U0010FFFF] => grammar error at 1:10: character class [^\\x00-\\U0010FFFF] excludes every character, so it matches nothing
            root ::= [z-a] => grammar error at 1:11: empty range z-a in a character class: its end comes before its start
            root ::= "\\q" => grammar error at 1:11: unknown escape '\\q' (GBNF has \\n \\r \\t \\\\ \\" \\[ \\] \\- \\xHH \\uHHHH \\UHHHHHHHH)
            root ::= "\\x4" => grammar error at 1:11: escape '\\x' needs exactly 2 hex digits, found '\\x4"'
            root ::= "\\u12G4" => grammar error at 1:11: escape '\\u' needs exactly 4 hex digits, found '\\u12G'
            root ::= "\\U00110000" => grammar error at 1:11: escape \\U00110000 is beyond the last code point U+10FFFF
            root ::= "\\uD800" => grammar error at 1:11: escape \\uD800 is a surrogate, not a character
            root ::= x => grammar error at 1:10: undefined rule 'x' (no 'x ::= ...' in the grammar)
            rot ::= "a" => grammar error: no rule 'root' (generation starts from 'root ::= ...')
            `   ` => grammar error: no rule 'root' (generation starts from 'root ::= ...')
            root ::= "a"{3,1} => grammar error at 1:13: repetition {3,1}: the minimum 3 is greater than the maximum 1
            root ::= "a"{x} => grammar error at 1:14: expected a number in the repetition at 1:13, found 'x'
            root ::= "a"{1;2} => grammar error at 1:15: expected ',' or '}' in the repetition at 1:13, found ';'
            root ::= "a"{1,2 => grammar error at 1:17: expected '}' to close the repetition at 1:13, found the end of the grammar
            root ::= "a"{9999999999} => grammar error at 1:14: repetition count 9999999999 is too large
            root ::= * "a" => grammar error at 1:10: '*' must follow the item it repeats
            root ::= ("a" "b" => grammar error at 1:18: expected ')' to close the '(' at 1:10, found the end of the grammar
            root ::= ("a" ::= "b") => grammar error at 1:15: unexpected '::=': this line continues the rule before it (that rule's last line ends with '|' or leaves a '(' open)
            root ::= "a") => grammar error at 1:13: unexpected ')': no '(' is open
            root ::= "a" @ => grammar error at 1:14: unexpected '@': expected a string "...", a class [...], a rule name, '(', '.' or a repetition (* + ? {m,n}), '|' or the end of the line
            root ::= ("a" @) => grammar error at 1:15: unexpected '@': expected a string "...", a class [...], a rule name, '(', '.' or a repetition (* + ? {m,n}), '|' or ')'
            root ::= my_rule => grammar error at 1:12: unexpected '_' (rule names are letters, digits and '-'): expected a string "...", a class [...], a rule name, '(', '.' or a repetition (* + ? {m,n}), '|' or the end of the line
            root = "a" => grammar error at 1:6: expected '::=' after the rule name 'root', found '='
            @root ::= "a" => grammar error at 1:1: expected a rule name (letters, digits and '-') at the start of a rule, found '@'
            root ::= <think> => grammar error at 1:10: token references such as <think> or <[123]> are not supported: write the text as a string literal
            root ::= !<[12]> => grammar error at 1:10: token references such as <think> or <[123]> are not supported: write the text as a string literal
            """)
    void syntaxErrorsSayWhereAndWhat(String gbnf, String message) {
        assertError(gbnf.replace("\\n", "\n"), message);
    }

    @Test
    void errorsOnLaterLinesCountLinesAndCodePoints() {
        assertError("root ::= a\n\na ::= \"😀😀\" b", "grammar error at 3:12: undefined rule 'b' (no 'b ::= ...' in the grammar)");
        assertError("root ::= \"a\"\n  | \"b\"",
                "grammar error at 2:3: a line cannot start with '|': end the line before with '|' to continue a rule"
                        + " on the next line");
        assertError("root ::= \"a\" |\nb ::= \"c\"",
                "grammar error at 2:3: unexpected '::=': this line continues the rule before it (that rule's last"
                        + " line ends with '|' or leaves a '(' open)");
        assertError("root ::= \"a\"\nroot ::= \"b\"", "grammar error at 2:1: rule 'root' is already defined at 1:1");
    }

    @Test
    void leftRecursionIsDetectedAndNamed() {
        assertError("root ::= expr\nexpr ::= expr \"+\" [0-9] | [0-9]",
                "grammar error at 2:1: rule 'expr' is left-recursive (expr -> expr can repeat without matching a"
                        + " character), which GBNF cannot run: write the repetition with * or +, e.g."
                        + " expr ::= term (\"+\" term)* instead of expr ::= expr \"+\" term | term");
        // Through other rules, and through a rule that can match nothing.
        assertThatThrownBy(() -> Grammar.parse("root ::= a\na ::= b \"x\"\nb ::= c\nc ::= \"\" | a"))
                .hasMessageStartingWith("grammar error at 2:1: rule 'a' is left-recursive (a -> b -> c -> a can"
                        + " repeat");
        assertThatThrownBy(() -> Grammar.parse("root ::= opt root \"x\" | \"y\"\nopt ::= \"z\"?"))
                .hasMessageStartingWith("grammar error at 1:1: rule 'root' is left-recursive (root -> root can"
                        + " repeat");
        assertThatThrownBy(() -> Grammar.parse("root ::= (root \"x\")? \"y\""))
                .hasMessageStartingWith("grammar error at 1:1: rule 'root' is left-recursive");
    }

    @Test
    void aRuleThatCanNeverFinishIsRejected() {
        assertError("root ::= \"a\" root",
                "grammar error at 1:1: rule 'root' can never produce a finite text: every alternative needs the rule"
                        + " itself again, with no alternative that ends the recursion");
        assertError("root ::= \"a\" | b\nb ::= \"(\" c\nc ::= \")\" b",
                "grammar error at 2:1: rules 'b', 'c' can never produce a finite text: every alternative needs one"
                        + " of them again, with no alternative that ends the recursion");
    }

    @Test
    void hugeRepetitionsAreRefusedBeforeTheyExhaustMemory() {
        assertThatThrownBy(() -> Grammar.parse("root ::= \"abcdefghij\"{200000}"))
                .isInstanceOf(GrammarException.class)
                .hasMessageContaining("the grammar is too large: its repetitions expand to more than 1048576 symbols");
        assertThat(Grammar.parse("root ::= [0-9]{0,2000}").accepts("1".repeat(2000))).isTrue();
    }

    @Test
    void toStringIsTheSource() {
        assertThat(Grammar.parse("root ::= \"a\"").toString()).isEqualTo("root ::= \"a\"");
    }
}
