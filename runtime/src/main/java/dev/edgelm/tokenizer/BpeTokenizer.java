package dev.edgelm.tokenizer;

import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufStringArray;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}): GPT-2, Llama 3, Qwen2, SmolLM.
 *
 * <p>The pre-tokenizer cuts text into words; each word's UTF-8 bytes, one symbol per byte, are merged pairwise in
 * the order of {@code tokenizer.ggml.merges} (lowest rank first, leftmost first among equal ranks) until no listed
 * pair is left; each final symbol is a token. Llama 3's pre-tokenizer skips merging for a word that is a token as
 * a whole ({@code ignore_merges}).
 *
 * <p>Symbols are ints, not strings: every string a merge mentions gets an id (the token id when it is a token,
 * else an id past the vocabulary), so a merge is a lookup of two ints in a flat hash table, and the loop over a word
 * is llama.cpp's priority queue over a linked list: O(n log n) even for a 10,000-byte word.
 */
final class BpeTokenizer extends VocabularyTokenizer {
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    /** Merge rank for each (left symbol, right symbol). */
    private final PairMap ranks;
    /** The symbol a merge of rank r produces. */
    private final int[] mergeResults;
    /** The symbol of each single byte (its byte-level character), or -1 if no merge or token knows it. */
    private final int[] byteSymbols = new int[256];
    /** The token for the lone ASCII character of each byte-level character, or -1 (llama.cpp's last resort). */
    private final int[] asciiTokens = new int[256];

    BpeTokenizer(Vocabulary vocab, GgufMetadata md, PreTokenizer preTokenizer, String preName, boolean ignoreMerges) {
        super(vocab, "byte-level BPE, pre-tokenizer " + preName);
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        GgufStringArray merges = md.getStringArray("tokenizer.ggml.merges");
        int count = merges.size();
        ranks = new PairMap(count);
        mergeResults = new int[count];
        // Every string a merge names gets a symbol id: its token id, or (rare: only for odd vocabularies) an id
        // past the vocabulary, so that merges whose parts or result are no token still behave as in llama.cpp.
        Map<String, Integer> extra = new HashMap<>();
        int rank = 0;
        for (String merge : merges.asList()) {
            // "left right", split at the first space after the first character (a left part may be a space).
            int space = merge.indexOf(' ', 1);
            String left = space < 0 ? "" : merge.substring(0, space);
            String right = space < 0 ? "" : merge.substring(space + 1);
            ranks.putIfAbsent(intern(left, extra), intern(right, extra), rank);
            mergeResults[rank] = intern(left.concat(right), extra);
            rank++;
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.charOf(b));
            int id = vocab.id(symbol);
            byteSymbols[b] = id >= 0 ? id : extra.getOrDefault(symbol, -1);
            char c = ByteLevel.charOf(b);
            asciiTokens[b] = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
        }
    }

    private int intern(String text, Map<String, Integer> extra) {
        int id = vocab.id(text);
        if (id >= 0) {
            return id;
        }
        Integer known = extra.get(text);
        if (known != null) {
            return known;
        }
        int next = vocab.size() + extra.size();
        extra.put(text, next);
        return next;
    }

    @Override
    void encodeFragments(String text, List<Fragment> fragments, IntList out) {
        Session session = null;
        for (Fragment fragment : fragments) {
            if (!fragment.isText()) {
                out.add(fragment.token());
                continue;
            }
            if (session == null) {
                session = new Session();
            }
            int[] cps = text.substring(fragment.start(), fragment.end()).codePoints().toArray();
            IntList words = preTokenizer.split(cps);
            int at = 0;
            for (int w = 0; w < words.size(); w++) {
                int end = at + words.get(w);
                session.word(cps, at, end, out);
                at = end;
            }
        }
    }

    /** Scratch state for one encode call. */
    private final class Session {
        private byte[] bytes = new byte[64];
        private int[] symbol = new int[64];
        private final SymbolChain chain = new SymbolChain();
        private final MergeQueue queue = new MergeQueue();

        void word(int[] cps, int from, int to, IntList out) {
            int n = utf8(cps, from, to);
            if (ignoreMerges) {
                int whole = vocab.id(ByteLevel.encode(bytes, 0, n));
                if (whole >= 0) {
                    out.add(whole);
                    return;
                }
            }
            if (symbol.length < n) {
                symbol = new int[n];
            }
            chain.reset(n);
            for (int i = 0; i < n; i++) {
                symbol[i] = byteSymbols[bytes[i] & 0xFF];
                chain.length[i] = 1;
            }
            queue.clear();
            for (int i = 1; i < n; i++) {
                tryAddPair(i - 1, i);
            }
            while (!queue.isEmpty()) {
                long key = queue.pop();
                int left = (int) key;
                if (!chain.isLive(left, queue.poppedSize())) {
                    continue;
                }
                symbol[left] = mergeResults[(int) (key >>> 32)];
                chain.mergeWithNext(left);
                tryAddPair(chain.prev[left], left);
                tryAddPair(left, chain.next[left]);
            }
            for (int i = 0; i != -1; i = chain.next[i]) {
                int s = symbol[i];
                if (s >= 0 && s < vocab.size()) {
                    out.add(s);
                } else {
                    // A symbol that is no token: llama.cpp looks up each byte of its byte-level text alone, which
                    // finds only the printable ASCII ones. Only a vocabulary missing byte tokens gets here.
                    for (int k = i; k < i + chain.length[i]; k++) {
                        int t = asciiTokens[bytes[k] & 0xFF];
                        if (t >= 0) {
                            out.add(t);
                        }
                    }
                }
            }
        }

        private void tryAddPair(int left, int right) {
            if (left < 0 || right < 0 || symbol[left] < 0 || symbol[right] < 0) {
                return;
            }
            int rank = ranks.get(symbol[left], symbol[right]);
            if (rank >= 0) {
                queue.push(MergeQueue.priority(rank, left), chain.length[left] + chain.length[right]);
            }
        }

        /** Writes the UTF-8 of {@code cps[from, to)} into {@link #bytes}; returns the byte count. */
        private int utf8(int[] cps, int from, int to) {
            int n = 0;
            if (bytes.length < (to - from) * 4) {
                bytes = new byte[(to - from) * 4];
            }
            for (int i = from; i < to; i++) {
                int cp = cps[i];
                if (cp < 0x80) {
                    bytes[n++] = (byte) cp;
                } else if (cp < 0x800) {
                    bytes[n++] = (byte) (0xC0 | cp >> 6);
                    bytes[n++] = (byte) (0x80 | cp & 0x3F);
                } else if (cp < 0x10000) {
                    bytes[n++] = (byte) (0xE0 | cp >> 12);
                    bytes[n++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    bytes[n++] = (byte) (0x80 | cp & 0x3F);
                } else {
                    bytes[n++] = (byte) (0xF0 | cp >> 18);
                    bytes[n++] = (byte) (0x80 | cp >> 12 & 0x3F);
                    bytes[n++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    bytes[n++] = (byte) (0x80 | cp & 0x3F);
                }
            }
            return n;
        }
    }
}
