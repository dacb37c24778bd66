package dev.edgelm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = llama}): Llama 2, TinyLlama, Mistral v0.1.
 *
 * <p>Spaces become U+2581 and the text gets a leading space (after each special token too, as llama.cpp does). Then,
 * starting from single characters, the adjacent pair whose concatenation is the vocabulary token with the highest
 * score is merged, repeatedly (leftmost first among equal scores). Symbols left that are not tokens fall back to
 * {@code <0xNN>} byte tokens.
 *
 * <p>The merge loop is llama.cpp's: a priority queue of candidate pairs over a linked list of symbols, so a long
 * text costs O(n log n), not O(n²).
 */
final class SpmTokenizer extends VocabularyTokenizer {
    /** The token for each byte value in byte fallback: {@code <0xNN>}, else the one-byte text, else unknown. */
    private final int[] byteTokens = new int[256];

    SpmTokenizer(Vocabulary vocab) {
        super(vocab, "SentencePiece BPE");
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = vocab.id(String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : vocab.unk;
        }
    }

    @Override
    void encodeFragments(String text, List<Fragment> fragments, IntList out) {
        Session session = new Session();
        boolean previousSpecial = true; // the text's start counts as "after a special token": it gets the prefix
        for (Fragment fragment : fragments) {
            if (!fragment.isText()) {
                out.add(fragment.token());
                previousSpecial = true;
                continue;
            }
            String piece = text.substring(fragment.start(), fragment.end());
            if (vocab.addSpacePrefix && previousSpecial) {
                piece = " " + piece;
            }
            session.tokenize(piece.replace(' ', '\u2581'), out);
            previousSpecial = false;
        }
    }

    /** Scratch state for one encode call. */
    private final class Session {
        private int[] start = new int[64]; // symbol i is text[start[i], start[i] + chain.length[i]) (UTF-16 units)
        private final SymbolChain chain = new SymbolChain();
        private final MergeQueue queue = new MergeQueue();
        private String text;

        void tokenize(String text, IntList out) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            if (n == 0) {
                return;
            }
            if (start.length < n) {
                start = new int[n];
            }
            chain.reset(n);
            int at = 0;
            for (int i = 0; i < n; i++) {
                int units = Character.charCount(text.codePointAt(at));
                start[i] = at;
                chain.length[i] = units;
                at += units;
            }
            queue.clear();
            for (int i = 1; i < n; i++) {
                tryAddPair(i - 1, i);
            }
            while (!queue.isEmpty()) {
                int left = (int) queue.pop();
                if (!chain.isLive(left, queue.poppedSize())) {
                    continue;
                }
                chain.mergeWithNext(left);
                tryAddPair(chain.prev[left], left);
                tryAddPair(left, chain.next[left]);
            }
            for (int i = 0; i != -1; i = chain.next[i]) {
                String symbol = text.substring(start[i], start[i] + chain.length[i]);
                int id = vocab.id(symbol);
                if (id >= 0) {
                    out.add(id);
                } else {
                    // Not a token (a character outside the vocabulary): its UTF-8 bytes as byte tokens.
                    for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                        int byteToken = byteTokens[b & 0xFF];
                        if (byteToken >= 0) {
                            out.add(byteToken);
                        }
                    }
                }
            }
        }

        private void tryAddPair(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int id = vocab.id(text.substring(start[left], start[right] + chain.length[right]));
            if (id < 0) {
                return;
            }
            // Highest score first: order floats by their bits, then invert so the min-heap pops the largest.
            int bits = Float.floatToIntBits(vocab.scores[id]);
            int ascending = bits ^ ((bits >> 31) & 0x7FFF_FFFF);
            queue.push(MergeQueue.priority(~ascending, left), chain.length[left] + chain.length[right]);
        }
    }
}
