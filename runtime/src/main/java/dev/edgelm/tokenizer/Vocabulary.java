package dev.edgelm.tokenizer;

import dev.edgelm.gguf.GgufMetadata;
import dev.edgelm.gguf.GgufNumericArray;
import dev.edgelm.gguf.GgufStringArray;
import dev.edgelm.gguf.GgufValueType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A tokenizer's vocabulary, copied out of GGUF metadata (so it outlives the file): token texts, scores and
 * attributes, the special-token ids and flags, and every token's decoded bytes. Immutable once built.
 *
 * <p>Follows llama.cpp's {@code llama_vocab::impl::load}: its defaults per model, its metadata overrides, and its
 * corrections by token text (end-of-turn and fill-in-the-middle tokens found by name and marked as control tokens).
 */
final class Vocabulary {
    // Token attributes, as llama.cpp's llama_token_attr bits: a token can be, say, CONTROL | UNUSED.
    static final int UNKNOWN = 1;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;
    static final int LSTRIP = 1 << 7;
    static final int RSTRIP = 1 << 8;

    /** Texts that mark end-of-generation tokens when the metadata names none (llama.cpp's list, less exotica). */
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");
    private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "<end_of_utterance>");
    private static final Set<String> FIM_PAD_TEXTS = Set.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>");
    private static final Set<String> FIM_REP_TEXTS = Set.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
            "<REPO>", "<reponame>");
    private static final Set<String> FIM_SEP_TEXTS = Set.of("<|file_sep|>");

    final boolean spm;
    /** Each token's text, UTF-8. */
    private final PackedBytes texts;
    final float[] scores;
    final int[] attrs;
    /** Text to id; for duplicate texts the last id wins, as in llama.cpp's token_to_id. */
    private final TextIndex ids;
    final int bos;
    final int eos;
    final int eot;
    final int unk;
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    /** Ids of tokens cut out of text before BPE (control, user-defined, unknown), longest text first. */
    final int[] specials;
    /** The text of each of {@link #specials}, in the same order (a few hundred at most: kept as strings). */
    final String[] specialTexts;
    final boolean[] endOfGeneration;
    /** Each token's decoded bytes, special tokens rendered as their text. */
    final PackedBytes pieces;

    Vocabulary(GgufMetadata md, boolean spm, boolean llama3) {
        this.spm = spm;
        GgufStringArray tokenArray = md.getStringArray("tokenizer.ggml.tokens");
        int n = tokenArray.size();
        if (n == 0) {
            throw new IllegalArgumentException("tokenizer.ggml.tokens is empty");
        }

        scores = new float[n];
        md.getOptionalNumericArray("tokenizer.ggml.scores").ifPresent(a -> {
            float[] s = a.elementType() == GgufValueType.FLOAT32 ? floats(a)
                    : a.elementType() == GgufValueType.FLOAT64 ? a.toFloatArray() : toFloats(ints(a));
            requireLength("tokenizer.ggml.scores", s.length, n);
            System.arraycopy(s, 0, scores, 0, n);
        });

        attrs = new int[n];
        GgufNumericArray typeArray = md.getOptionalNumericArray("tokenizer.ggml.token_type").orElse(null);
        if (typeArray == null) {
            Arrays.fill(attrs, NORMAL);
        } else {
            int[] types = ints(typeArray);
            requireLength("tokenizer.ggml.token_type", types.length, n);
            for (int t = 0; t < n; t++) {
                attrs[t] = switch (TokenType.ofCode(types[t])) {
                    case NORMAL -> NORMAL;
                    case UNKNOWN -> UNKNOWN;
                    case CONTROL -> CONTROL;
                    case USER_DEFINED -> USER_DEFINED;
                    case UNUSED -> UNUSED;
                    case BYTE -> BYTE;
                    case UNDEFINED -> 0;
                };
            }
        }

        // Defaults per model (llama.cpp), then the metadata's ids where they are in range.
        bos = specialId(md, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, n);
        eos = specialId(md, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, n);
        unk = specialId(md, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, n);
        int eotId = specialId(md, "tokenizer.ggml.eot_token_id", -1, n);
        int eomId = specialId(md, "tokenizer.ggml.eom_token_id", -1, n);
        int fimPad = specialId(md, "tokenizer.ggml.fim_pad_token_id", -1, n);
        int fimRep = specialId(md, "tokenizer.ggml.fim_rep_token_id", -1, n);
        int fimSep = specialId(md, "tokenizer.ggml.fim_sep_token_id", -1, n);

        addBos = md.getOptionalBoolean("tokenizer.ggml.add_bos_token").orElse(spm || llama3);
        addEos = md.getOptionalBoolean("tokenizer.ggml.add_eos_token").orElse(false);
        addSpacePrefix = md.getOptionalBoolean("tokenizer.ggml.add_space_prefix").orElse(spm);

        // One pass over the texts, each decoded once and packed: find end-of-turn and fill-in-the-middle tokens by
        // text when the metadata does not name them, and make them control tokens (conversions often leave them
        // "normal", which would let user text produce them); then each token's final kind, then its piece.
        PackedBytes.Builder textBuilder = new PackedBytes.Builder(n);
        PackedBytes.Builder pieceBuilder = new PackedBytes.Builder(n);
        endOfGeneration = new boolean[n];
        for (int t = 0; t < n; t++) {
            String text = tokenArray.get(t);
            if (text.isEmpty()) {
                text = "[EMPTY_" + t + "]"; // as llama.cpp: an empty token could never be matched or decoded
            }
            textBuilder.add(text.getBytes(StandardCharsets.UTF_8));
            if (eotId < 0 && EOT_TEXTS.contains(text)) {
                eotId = t;
                attrs[t] |= CONTROL;
            }
            if (eomId < 0 && text.equals("<|eom_id|>")) {
                eomId = t;
                attrs[t] |= CONTROL;
            }
            if (fimPad < 0 && FIM_PAD_TEXTS.contains(text)) {
                fimPad = t;
                attrs[t] |= CONTROL;
            }
            if (fimRep < 0 && FIM_REP_TEXTS.contains(text)) {
                fimRep = t;
                attrs[t] |= CONTROL;
            }
            if (fimSep < 0 && FIM_SEP_TEXTS.contains(text)) {
                fimSep = t;
                attrs[t] |= CONTROL;
            }
            if ((attrs[t] & CONTROL) != 0 && text.contains("unused")) {
                attrs[t] |= UNUSED;
            }
            if (EOG_TEXTS.contains(text)) {
                endOfGeneration[t] = true;
                attrs[t] |= CONTROL;
            }
            pieceBuilder.add(piece(text, attrs[t]));
        }
        texts = textBuilder.build();
        pieces = pieceBuilder.build();
        ids = new TextIndex(texts);
        eot = eotId;
        for (int id : new int[] {fimPad, fimRep, fimSep, eos, eotId, eomId}) {
            if (id >= 0) {
                endOfGeneration[id] = true;
            }
        }

        List<Integer> special = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            if ((attrs[t] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0) {
                special.add(t);
            }
        }
        // Longest first, so that "<|im_start|>" is cut before "<|im" could be; by id among equal lengths, to be
        // deterministic where llama.cpp's unstable sort is not.
        special.sort((a, b) -> texts.length(a) != texts.length(b) ? Integer.compare(texts.length(b), texts.length(a))
                : Integer.compare(a, b));
        specials = special.stream().mapToInt(Integer::intValue).toArray();
        specialTexts = Arrays.stream(specials).mapToObj(texts::utf8).toArray(String[]::new);

        // Phi-3's special tokens swallow the whitespace after them (llama.cpp sets this by model name).
        String name = md.getOptionalString("general.name").orElse("").toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specials) {
                attrs[id] |= RSTRIP;
            }
            setAttr("</s>", RSTRIP, true);
            for (String text : List.of("<unk>", "<s>", "<|endoftext|>")) {
                setAttr(text, RSTRIP, false);
            }
        }
    }

    int size() {
        return texts.size();
    }

    /** The text of token {@code id}. */
    String text(int id) {
        return texts.utf8(id);
    }

    /** Id of {@code text}, or -1. */
    int id(String text) {
        return ids.get(text);
    }

    boolean hasAttr(int id, int attr) {
        return (attrs[id] & attr) != 0;
    }

    TokenType type(int id) {
        int a = attrs[id];
        if ((a & CONTROL) != 0) {
            return TokenType.CONTROL;
        }
        if ((a & UNKNOWN) != 0) {
            return TokenType.UNKNOWN;
        }
        if ((a & USER_DEFINED) != 0) {
            return TokenType.USER_DEFINED;
        }
        if ((a & BYTE) != 0) {
            return TokenType.BYTE;
        }
        if ((a & NORMAL) != 0) {
            return TokenType.NORMAL;
        }
        return (a & UNUSED) != 0 ? TokenType.UNUSED : TokenType.UNDEFINED;
    }

    private void setAttr(String text, int attr, boolean on) {
        int id = id(text);
        if (id >= 0) {
            attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
        }
    }

    /**
     * What a token of {@code text} and attributes {@code a} decodes to, as llama.cpp's token_to_piece with special
     * tokens rendered.
     */
    private byte[] piece(String text, int a) {
        if ((a & (UNKNOWN | CONTROL | USER_DEFINED)) != 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if ((a & NORMAL) != 0) {
            return spm ? text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8) : byteLevelDecode(text);
        }
        if ((a & BYTE) != 0) {
            int b = hexByte(text);
            return b >= 0 ? new byte[] {(byte) b} : text.getBytes(StandardCharsets.UTF_8);
        }
        return new byte[0]; // unused and undefined tokens decode to nothing, as in llama.cpp
    }

    /** {@code <0xNN>}'s byte, or -1 for any other text. */
    static int hexByte(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(text.charAt(3), 16);
        int lo = Character.digit(text.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** Byte-level text back to bytes; a code point outside the map is kept visibly, as llama.cpp's UNK_BYTE. */
    private static byte[] byteLevelDecode(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < out.length; i++) {
            int b = ByteLevel.byteOf(text.charAt(i));
            if (b < 0) {
                return byteLevelDecodeSlow(text);
            }
            out[i] = (byte) b;
        }
        return out;
    }

    private static byte[] byteLevelDecodeSlow(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevel.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                    sb.append(String.format("%02x", u & 0xFF));
                }
                out.writeBytes(sb.append(text).append(']').toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    // Bulk copies of numeric arrays: the per-element accessors cost a cold JVM a good part of a second on a
    // 150k-token vocabulary.

    private static final java.lang.foreign.ValueLayout.OfInt I32 =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.foreign.ValueLayout.OfFloat F32 =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private static int[] ints(GgufNumericArray a) {
        return a.elementType() == GgufValueType.INT32 ? a.data().toArray(I32) : a.toIntArray();
    }

    private static float[] floats(GgufNumericArray a) {
        return a.data().toArray(F32);
    }

    private static int specialId(GgufMetadata md, String key, int defaultId, int n) {
        int id = defaultId < n ? defaultId : -1;
        var value = md.getOptionalLong(key);
        if (value.isPresent() && value.getAsLong() >= 0 && value.getAsLong() < n) {
            id = (int) value.getAsLong();
        }
        return id;
    }

    private static float[] toFloats(int[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static void requireLength(String key, int length, int n) {
        if (length < n) {
            throw new IllegalArgumentException(key + " has " + length + " entries for " + n + " tokens");
        }
    }
}
