package dev.edgelm.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a valid GGUF file and where they are, found by walking it independently of {@link GgufReader}, so
 * the fuzz test can corrupt each structural field on purpose.
 */
final class GgufLayout {
    enum Kind {
        MAGIC, VERSION, TENSOR_COUNT, KV_COUNT, STRING_LENGTH, STRING_BYTES, VALUE_TYPE, ARRAY_LENGTH, SCALAR,
        ALIGNMENT_VALUE, RANK, DIM, GGML_TYPE, TENSOR_OFFSET, PADDING, DATA
    }

    record Field(Kind kind, long offset, long width) {
        long end() {
            return offset + width;
        }
    }

    final List<Field> fields = new ArrayList<>();
    final long alignment;
    final long dataOffset;

    private final MemorySegment file;
    private long pos;

    GgufLayout(byte[] bytes) {
        file = MemorySegment.ofArray(bytes);
        field(Kind.MAGIC, 4);
        field(Kind.VERSION, 4);
        long tensors = file.get(Le.I64, pos);
        field(Kind.TENSOR_COUNT, 8);
        long kvs = file.get(Le.I64, pos);
        field(Kind.KV_COUNT, 8);
        long align = GgufReader.DEFAULT_ALIGNMENT;
        for (long i = 0; i < kvs; i++) {
            String key = string();
            int type = file.get(Le.I32, pos);
            field(Kind.VALUE_TYPE, 4);
            if (key.equals(GgufReader.ALIGNMENT_KEY)) {
                align = Integer.toUnsignedLong(file.get(Le.I32, pos));
                field(Kind.ALIGNMENT_VALUE, 4);
            } else {
                value(type);
            }
        }
        for (long i = 0; i < tensors; i++) {
            string();
            int rank = file.get(Le.I32, pos);
            field(Kind.RANK, 4);
            for (int d = 0; d < rank; d++) {
                field(Kind.DIM, 8);
            }
            field(Kind.GGML_TYPE, 4);
            field(Kind.TENSOR_OFFSET, 8);
        }
        alignment = align;
        long padded = (pos + align - 1) / align * align;
        if (padded > pos) {
            field(Kind.PADDING, padded - pos);
        }
        dataOffset = padded;
        if (bytes.length > padded) {
            field(Kind.DATA, bytes.length - padded);
        }
    }

    List<Field> of(Kind kind) {
        return fields.stream().filter(f -> f.kind == kind).toList();
    }

    private void value(int type) {
        GgufValueType t = GgufValueType.fromId(type).orElseThrow();
        switch (t) {
            case STRING -> string();
            case ARRAY -> array();
            default -> field(Kind.SCALAR, t.size());
        }
    }

    private void array() {
        int type = file.get(Le.I32, pos);
        field(Kind.VALUE_TYPE, 4);
        long n = file.get(Le.I64, pos);
        field(Kind.ARRAY_LENGTH, 8);
        GgufValueType t = GgufValueType.fromId(type).orElseThrow();
        for (long i = 0; i < n; i++) {
            switch (t) {
                case STRING -> string();
                case ARRAY -> array();
                default -> field(Kind.SCALAR, t.size());
            }
        }
    }

    private String string() {
        long n = file.get(Le.I64, pos);
        field(Kind.STRING_LENGTH, 8);
        String s = new String(file.asSlice(pos, n).toArray(Le.I8), StandardCharsets.UTF_8);
        field(Kind.STRING_BYTES, n);
        return s;
    }

    private void field(Kind kind, long width) {
        fields.add(new Field(kind, pos, width));
        pos += width;
    }
}
