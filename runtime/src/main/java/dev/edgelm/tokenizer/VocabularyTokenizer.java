package dev.edgelm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What both tokenizers share: special-token partitioning, BOS/EOS, and decoding. Subclasses turn one stretch of
 * plain text into ids.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer {
    private static final byte[] EMPTY = new byte[0];

    final Vocabulary vocab;
    private final String description;
    private final ConcurrentHashMap<Class<?>, Object> derived = new ConcurrentHashMap<>();

    VocabularyTokenizer(Vocabulary vocab, String description) {
        this.vocab = vocab;
        this.description = description;
    }

    /** A stretch of the input: plain text {@code [start, end)} of the string, or a special token. */
    record Fragment(int start, int end, int token) {
        static Fragment text(int start, int end) {
            return new Fragment(start, end, NO_TOKEN);
        }

        static Fragment special(int token) {
            return new Fragment(-1, -1, token);
        }

        boolean isText() {
            return token == NO_TOKEN;
        }
    }

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        String clean = Unicode.withoutLoneSurrogates(text);
        IntList out = new IntList(clean.length() / 3 + 4);
        if (addSpecial && vocab.addBos) {
            out.add(requireSpecial(vocab.bos, "BOS"));
        }
        encodeFragments(clean, partition(clean, parseSpecial), out);
        if (addSpecial && vocab.addEos) {
            out.add(requireSpecial(vocab.eos, "EOS"));
        }
        return out.toArray();
    }

    private static int requireSpecial(int id, String what) {
        if (id < 0) {
            throw new IllegalStateException("the vocabulary asks for " + what + " but has no " + what + " token");
        }
        return id;
    }

    /** Appends the ids of {@code fragments} of {@code text}. */
    abstract void encodeFragments(String text, List<Fragment> fragments, IntList out);

    /**
     * Cuts the special tokens out of {@code text}, longest first, each everywhere it occurs in what is still plain
     * text (llama.cpp's {@code tokenizer_st_partition}).
     */
    List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(Fragment.text(0, text.length()));
        for (int s = 0; s < vocab.specials.length; s++) {
            int id = vocab.specials[s];
            if (!parseSpecial && vocab.hasAttr(id, Vocabulary.CONTROL | Vocabulary.UNKNOWN)) {
                continue;
            }
            String special = vocab.specialTexts[s];
            List<Fragment> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                Fragment fragment = fragments.get(f);
                int at = fragment.isText() ? indexOf(text, special, fragment.start(), fragment.end()) : -1;
                if (at < 0) {
                    if (next != null) {
                        next.add(fragment);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(fragments.subList(0, f));
                }
                int start = fragment.start();
                int end = fragment.end();
                while (at >= 0) {
                    int leftEnd = at;
                    if (vocab.hasAttr(id, Vocabulary.LSTRIP)) {
                        while (leftEnd > start && isAsciiSpace(text.charAt(leftEnd - 1))) {
                            leftEnd--;
                        }
                    }
                    if (leftEnd > start) {
                        next.add(Fragment.text(start, leftEnd));
                    }
                    next.add(Fragment.special(id));
                    start = at + special.length();
                    if (vocab.hasAttr(id, Vocabulary.RSTRIP)) {
                        while (start < end && isAsciiSpace(text.charAt(start))) {
                            start++;
                        }
                    }
                    at = indexOf(text, special, start, end);
                }
                if (start < end) {
                    next.add(Fragment.text(start, end));
                }
            }
            if (next != null) {
                fragments = next;
            }
        }
        return fragments;
    }

    /** First index of {@code needle} wholly inside {@code text[from, to)}, or -1; never reads past {@code to}. */
    private static int indexOf(String text, String needle, int from, int to) {
        int last = to - needle.length();
        char first = needle.charAt(0);
        for (int i = from; i <= last; i++) {
            if (text.charAt(i) == first && text.regionMatches(i, needle, 0, needle.length())) {
                return i;
            }
        }
        return -1;
    }

    /** C's isspace in the "C" locale, which llama.cpp uses for LSTRIP/RSTRIP. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        boolean strip = vocab.addSpacePrefix;
        for (int id : ids) {
            if (hidden(id, renderSpecial)) {
                continue;
            }
            int from = 0;
            if (strip && vocab.pieces.length(id) > 0) {
                strip = false;
                from = vocab.pieces.byteAt(vocab.pieces.start(id)) == ' ' ? 1 : 0;
            }
            vocab.pieces.writeTo(id, from, bytes);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean renderSpecial, boolean startOfText) {
        return new StreamingDecoder(id -> piece(id, renderSpecial), startOfText && vocab.addSpacePrefix);
    }

    /** Token {@code id}'s bytes as a stream renders them (a copy: the pieces are packed). */
    private byte[] piece(int id, boolean renderSpecial) {
        return hidden(id, renderSpecial) ? EMPTY : vocab.pieces.copy(id);
    }

    /** Whether token {@code id} renders as nothing: a control or unknown token when specials are not rendered. */
    private boolean hidden(int id, boolean renderSpecial) {
        Objects.checkIndex(id, vocab.size());
        return !renderSpecial && vocab.hasAttr(id, Vocabulary.CONTROL | Vocabulary.UNKNOWN);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return piece(id, true);
    }

    @Override
    public String tokenText(int id) {
        Objects.checkIndex(id, vocab.size());
        return vocab.text(id);
    }

    @Override
    public TokenType tokenType(int id) {
        Objects.checkIndex(id, vocab.size());
        return vocab.type(id);
    }

    @Override
    public int tokenId(String text) {
        return vocab.id(text);
    }

    @Override
    public int bos() {
        return vocab.bos;
    }

    @Override
    public int eos() {
        return vocab.eos;
    }

    @Override
    public boolean addsBos() {
        return vocab.addBos;
    }

    @Override
    public boolean addsEos() {
        return vocab.addEos;
    }

    @Override
    public int vocabularySize() {
        return vocab.size();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < vocab.size() && vocab.endOfGeneration[id];
    }

    @Override
    public <T> T derived(Class<T> type, Function<Tokenizer, ? extends T> build) {
        return type.cast(derived.computeIfAbsent(type, t -> build.apply(this)));
    }

    @Override
    public String toString() {
        return description + " (" + vocab.size() + " tokens)";
    }
}
