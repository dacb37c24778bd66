package dev.edgelm.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable list of short byte strings packed end to end in one array: a vocabulary's token texts (UTF-8) or its
 * decoded pieces. As a {@code String[]} and a {@code byte[][]}, a 128k-token vocabulary costs 40 to 60 bytes of
 * object headers, references and padding per token besides its few bytes of text (11 MB of the Llama 3.2 1B
 * fixture's heap); packed, it costs the bytes and one {@code int} per string.
 */
final class PackedBytes {
    private final byte[] bytes;
    /** String i is {@code bytes[start(i), ends[i])}. */
    private final int[] ends;

    private PackedBytes(byte[] bytes, int[] ends) {
        this.bytes = bytes;
        this.ends = ends;
    }

    /** The number of strings. */
    int size() {
        return ends.length;
    }

    /** The length of string {@code i} in bytes. */
    int length(int i) {
        return ends[i] - start(i);
    }

    /** Where string {@code i} starts in the packed bytes ({@link #byteAt}). */
    int start(int i) {
        return i == 0 ? 0 : ends[i - 1];
    }

    /** Where string {@code i} ends (exclusive) in the packed bytes. */
    int end(int i) {
        return ends[i];
    }

    /** The packed byte at {@code position}, as 0..255. */
    int byteAt(int position) {
        return bytes[position] & 0xFF;
    }

    /** A copy of string {@code i}. */
    byte[] copy(int i) {
        return Arrays.copyOfRange(bytes, start(i), ends[i]);
    }

    /** String {@code i} decoded from UTF-8. */
    String utf8(int i) {
        return new String(bytes, start(i), length(i), StandardCharsets.UTF_8);
    }

    /** Appends string {@code i} to {@code out}, less its first {@code skip} bytes. */
    void writeTo(int i, int skip, ByteArrayOutputStream out) {
        out.write(bytes, start(i) + skip, length(i) - skip);
    }

    /** Collects a known number of strings, in order. */
    static final class Builder {
        private byte[] bytes = new byte[1024];
        private final int[] ends;
        private int count;
        private int used;

        /** A builder for exactly {@code size} strings. */
        Builder(int size) {
            ends = new int[size];
        }

        /** Appends the next string. */
        Builder add(byte[] string) {
            Objects.checkIndex(count, ends.length);
            if (bytes.length - used < string.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + string.length));
            }
            System.arraycopy(string, 0, bytes, used, string.length);
            used += string.length;
            ends[count++] = used;
            return this;
        }

        /**
         * The packed strings, the array trimmed to their bytes.
         *
         * @throws IllegalStateException if fewer strings were added than the builder was made for
         */
        PackedBytes build() {
            if (count != ends.length) {
                throw new IllegalStateException(count + " of " + ends.length + " strings added");
            }
            return new PackedBytes(Arrays.copyOf(bytes, used), ends);
        }
    }
}
