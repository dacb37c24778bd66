package dev.edgelm.gguf;

/**
 * A GGUF file (or a model's metadata) is malformed or not what the caller needs: the message says where (file and
 * byte offset) and what was expected.
 *
 * <p>Unchecked on purpose: I/O failures are {@link java.io.IOException}s from {@link GgufFile#open}, but this
 * exception is also thrown by lazy accessors ({@link GgufMetadata#getInt}, {@link GgufFile#tensor}) that model
 * code calls everywhere; a bad model is handled once, where the model is loaded, not at every call.
 */
public final class GgufFormatException extends RuntimeException {
    private final String source;
    private final long offset;
    private final String detail;

    /**
     * @param source the file (or other origin) the problem is in; may be null
     * @param offset the byte offset in that file, or -1 if the problem has no single position
     * @param detail what is wrong and what was expected
     */
    public GgufFormatException(String source, long offset, String detail) {
        super((source == null ? "" : source + ": ") + (offset < 0 ? "" : "offset " + offset + ": ") + detail);
        this.source = source;
        this.offset = offset;
        this.detail = detail;
    }

    /** The file (or other origin) the problem is in, or null if unknown. */
    public String source() {
        return source;
    }

    /** The byte offset of the problem in {@link #source()}, or -1. */
    public long offset() {
        return offset;
    }

    /** The message without source and offset. */
    public String detail() {
        return detail;
    }
}
