package dev.edgelm.tokenizer;

/**
 * The code point classes the pre-tokenizers test, defined as llama.cpp's {@code unicode-data.cpp} defines them (it
 * is generated from UnicodeData.txt's general categories and PropList.txt's White_Space), here read from the JDK's
 * own tables. The JDK may know a newer Unicode version than the llama.cpp build that produced a test case; the shared
 * conformance cases decide whether that matters.
 */
final class Unicode {
    private Unicode() {
    }

    /** {@code \p{L}}: general category L (Lu, Ll, Lt, Lm, Lo). */
    static boolean isLetter(int cp) {
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> true;
            default -> false;
        };
    }

    /** {@code \p{N}}: general category N (Nd, Nl, No). */
    static boolean isNumber(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /**
     * {@code \s}: the Unicode White_Space property (25 code points). Not {@link Character#isWhitespace}, which
     * leaves out the no-break spaces and includes the information separators U+001C..U+001F.
     */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /**
     * {@code text} with every unpaired surrogate replaced by U+FFFD. A Java string can hold them, UTF-8 cannot;
     * llama.cpp turns bytes it cannot decode into U+FFFD in the same way, so this keeps encoding total (it never
     * throws) and makes the replacement visible rather than silent.
     */
    static String withoutLoneSurrogates(String text) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i += 2;
            } else if (Character.isSurrogate(c)) {
                break;
            } else {
                i++;
            }
        }
        if (i == n) {
            return text; // the common case: no copy
        }
        StringBuilder sb = new StringBuilder(n).append(text, 0, i);
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                sb.append(c).append(text.charAt(i + 1));
                i += 2;
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                i++;
            }
        }
        return sb.toString();
    }
}
