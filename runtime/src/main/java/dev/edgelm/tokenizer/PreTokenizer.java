package dev.edgelm.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizers of byte-level BPE: each cuts text into words that BPE then merges separately, as a list of
 * steps applied in turn, each step cutting every piece of the previous one (llama.cpp's {@code unicode_regex_split}).
 *
 * <p>The three regexes that llama.cpp implements by hand (GPT-2's, Llama 3's and Qwen2's) are hand-written scanners
 * here too, following llama.cpp's scanners rather than the regexes: they agree with a regex engine almost
 * everywhere, and where they do not (contractions are case-insensitive only in ASCII, a letter run may start with
 * any one non-letter non-digit character except CR/LF), llama.cpp is the reference the shared test cases encode. The
 * other steps are plain {@link Pattern}s.
 */
enum PreTokenizer {
    /** {@code default}: punctuation runs, then GPT-2's regex, then digit runs, then ASCII digit triples. */
    DEFAULT(List.of(
            new RegexStep("[\\p{P}$+<=>^~|]+"),
            Scanner.GPT2,
            new RegexStep("\\p{N}+"),
            new RegexStep("[0-9][0-9][0-9]"))),
    /** {@code gpt-2}: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
    GPT2(List.of(Scanner.GPT2)),
    /**
     * {@code llama-bpe} (Llama 3): {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
     * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}.
     */
    LLAMA3(List.of(Scanner.LLAMA3)),
    /** {@code qwen2}: as Llama 3's, but digits one at a time ({@code \p{N}}). */
    QWEN2(List.of(Scanner.QWEN2)),
    /** {@code smollm}: every digit alone ({@code \p{N}}), then GPT-2's regex. */
    SMOLLM(List.of(new RegexStep("\\p{N}"), Scanner.GPT2));

    private final List<Step> steps;

    PreTokenizer(List<Step> steps) {
        this.steps = steps;
    }

    /**
     * Cuts {@code cps} (code points) into words.
     *
     * @return the words' lengths in code points, in order, summing to {@code cps.length}; no zero lengths
     */
    IntList split(int[] cps) {
        IntList pieces = new IntList(16);
        if (cps.length > 0) {
            pieces.add(cps.length);
        }
        String text = null;
        for (Step step : steps) {
            if (step instanceof RegexStep && text == null) {
                text = new String(cps, 0, cps.length);
            }
            pieces = step.split(cps, text, pieces);
        }
        return pieces;
    }

    /** One cutting step: {@code pieces} in, finer pieces out. */
    private sealed interface Step permits Scanner, RegexStep {
        IntList split(int[] cps, String text, IntList pieces);
    }

    /** A regex whose matches become pieces, and the text between matches too (llama.cpp's std::regex path). */
    private record RegexStep(Pattern pattern) implements Step {
        RegexStep(String regex) {
            this(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS));
        }

        @Override
        public IntList split(int[] cps, String text, IntList pieces) {
            IntList out = new IntList(pieces.size() * 2);
            Matcher m = pattern.matcher(text);
            int cp = 0;
            int ch = 0;
            for (int p = 0; p < pieces.size(); p++) {
                int pieceLength = pieces.get(p);
                int cpEnd = cp + pieceLength;
                int chEnd = ch + charCount(cps, cp, cpEnd);
                // Opaque, anchoring region bounds: a piece is matched as if it were the whole text, as llama.cpp
                // runs its regex iterator over each piece separately.
                m.region(ch, chEnd);
                int lastCp = cp;
                int lastCh = ch;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue; // none of our regexes can match empty; be safe anyway
                    }
                    int startCp = lastCp + text.codePointCount(lastCh, m.start());
                    int endCp = startCp + text.codePointCount(m.start(), m.end());
                    if (startCp > lastCp) {
                        out.add(startCp - lastCp);
                    }
                    out.add(endCp - startCp);
                    lastCp = endCp;
                    lastCh = m.end();
                }
                if (cpEnd > lastCp) {
                    out.add(cpEnd - lastCp);
                }
                cp = cpEnd;
                ch = chEnd;
            }
            return out;
        }

        private static int charCount(int[] cps, int from, int to) {
            int n = 0;
            for (int i = from; i < to; i++) {
                n += Character.charCount(cps[i]);
            }
            return n;
        }
    }

    /** llama.cpp's hand-written scanners for three common regexes. */
    private enum Scanner implements Step {
        GPT2, LLAMA3, QWEN2;

        @Override
        public IntList split(int[] cps, String text, IntList pieces) {
            IntList out = new IntList(pieces.size() + cps.length / 3);
            int start = 0;
            for (int p = 0; p < pieces.size(); p++) {
                int end = start + pieces.get(p);
                if (this == GPT2) {
                    scanGpt2(cps, start, end, out);
                } else {
                    scanLlama3(cps, start, end, this == LLAMA3 ? 3 : 1, out);
                }
                start = end;
            }
            return out;
        }

        // Class tests that treat positions outside [start, end) as matching nothing, as llama.cpp's scanners do.

        private static boolean letter(int[] cps, int i, int end) {
            return i < end && Unicode.isLetter(cps[i]);
        }

        private static boolean number(int[] cps, int i, int end) {
            return i < end && Unicode.isNumber(cps[i]);
        }

        private static boolean space(int[] cps, int i, int end) {
            return i < end && Unicode.isWhitespace(cps[i]);
        }

        /** {@code [^\s\p{L}\p{N}]} inside the piece. */
        private static boolean other(int[] cps, int i, int end) {
            return i < end && !Unicode.isWhitespace(cps[i]) && !Unicode.isLetter(cps[i]) && !Unicode.isNumber(cps[i]);
        }

        /** Length of a contraction ('s 't 'm 'd 're 've 'll) at {@code pos}, or 0; ASCII case-folded if asked. */
        private static int contraction(int[] cps, int pos, int end, boolean ignoreCase) {
            if (cps[pos] != '\'' || pos + 1 >= end) {
                return 0;
            }
            int c1 = fold(cps[pos + 1], ignoreCase);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                return 2;
            }
            if (pos + 2 < end) {
                int c2 = fold(cps[pos + 2], ignoreCase);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    return 3;
                }
            }
            return 0;
        }

        /**
         * Lower-cases ASCII letters only: llama.cpp folds with Unicode's simple lowercase mapping, and no code point
         * outside ASCII lower-cases to one of the letters a contraction uses.
         */
        private static int fold(int c, boolean ignoreCase) {
            return ignoreCase && c >= 'A' && c <= 'Z' ? c + 32 : c;
        }

        private static void scanGpt2(int[] cps, int start, int end, IntList out) {
            int pos = start;
            while (pos < end) {
                int tokenStart = pos;
                int cp = cps[pos];
                int n = contraction(cps, pos, end, false);
                if (n > 0) {
                    out.add(n);
                    pos += n;
                    continue;
                }
                int first = cp == ' ' ? pos + 1 : pos; // the optional leading space of " ?\p{L}+" and friends
                if (letter(cps, first, end)) {
                    pos = first;
                    while (letter(cps, pos, end)) {
                        pos++;
                    }
                } else if (number(cps, first, end)) {
                    pos = first;
                    while (number(cps, pos, end)) {
                        pos++;
                    }
                } else if (other(cps, first, end)) {
                    pos = first;
                    while (other(cps, pos, end)) {
                        pos++;
                    }
                } else {
                    int spaces = 0;
                    while (space(cps, pos + spaces, end)) {
                        spaces++;
                    }
                    if (spaces > 1 && pos + spaces < end) {
                        pos += spaces - 1; // \s+(?!\S): leave the last space to prefix the next word
                    } else if (spaces > 0) {
                        pos += spaces; // \s+
                    } else {
                        pos++; // matched nothing: one code point alone
                    }
                }
                out.add(pos - tokenStart);
            }
        }

        private static void scanLlama3(int[] cps, int start, int end, int maxDigits, IntList out) {
            int pos = start;
            while (pos < end) {
                int cp = cps[pos];
                int n = contraction(cps, pos, end, true);
                if (n > 0) {
                    out.add(n);
                    pos += n;
                    continue;
                }
                // [^\r\n\p{L}\p{N}]?\p{L}+
                if (cp != '\r' && cp != '\n' && !Unicode.isNumber(cp)
                        && (Unicode.isLetter(cp) || letter(cps, pos + 1, end))) {
                    int tokenStart = pos;
                    pos++;
                    while (letter(cps, pos, end)) {
                        pos++;
                    }
                    out.add(pos - tokenStart);
                    continue;
                }
                // \p{N}{1,maxDigits}
                if (Unicode.isNumber(cp)) {
                    int tokenStart = pos;
                    while (number(cps, pos, end)) {
                        pos++;
                        if (pos - tokenStart >= maxDigits) {
                            out.add(pos - tokenStart);
                            tokenStart = pos;
                        }
                    }
                    if (pos > tokenStart) {
                        out.add(pos - tokenStart);
                    }
                    continue;
                }
                // " ?[^\s\p{L}\p{N}]+[\r\n]*". llama.cpp enters this branch for a space followed by the piece's end,
                // too (the scanner's "nothing" class is not whitespace): the result is the lone space, as \s+ would
                // give.
                int first = cp == ' ' ? pos + 1 : pos;
                if (first >= end || other(cps, first, end)) {
                    int tokenStart = pos;
                    pos = first;
                    while (other(cps, pos, end)) {
                        pos++;
                    }
                    while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) {
                        pos++;
                    }
                    out.add(pos - tokenStart);
                    continue;
                }
                int spaces = 0;
                int afterLastNewline = -1;
                while (space(cps, pos + spaces, end)) {
                    int c = cps[pos + spaces];
                    if (c == '\r' || c == '\n') {
                        afterLastNewline = pos + spaces + 1;
                    }
                    spaces++;
                }
                int tokenStart = pos;
                if (afterLastNewline >= 0) {
                    pos = afterLastNewline; // \s*[\r\n]+
                } else if (spaces > 1 && pos + spaces < end) {
                    pos += spaces - 1; // \s+(?!\S)
                } else if (spaces > 0) {
                    pos += spaces; // \s+
                } else {
                    pos++;
                }
                out.add(pos - tokenStart);
            }
        }
    }
}
