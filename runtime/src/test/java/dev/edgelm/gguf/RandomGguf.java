package dev.edgelm.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded generator of small, valid GGUF files exercising every metadata kind and every tensor type. */
final class RandomGguf {
    private static final String[] TEXT = {"a", "bc", "", "\u00e9", "\u2713", "\uD83D\uDE00", "tok", " ", "\n"};

    private RandomGguf() {
    }

    /** A writer holding random metadata (nested arrays included) and up to 5 random tensors with random bytes. */
    static GgufWriter writer(SplittableRandom r) {
        GgufWriter w = new GgufWriter();
        if (r.nextInt(3) == 0) {
            w.alignment(1L << r.nextInt(0, 8));
        }
        int entries = r.nextInt(0, 9);
        for (int i = 0; i < entries; i++) {
            w.put("key" + i + "." + text(r), value(r, 0));
        }
        int tensors = r.nextInt(0, 6);
        GgmlType[] types = GgmlType.values();
        for (int i = 0; i < tensors; i++) {
            GgmlType type = types[r.nextInt(types.length)];
            long[] dims = new long[r.nextInt(1, 5)];
            dims[0] = (long) type.blockSize() * r.nextInt(1, 3) * (type == GgmlType.I2_S ? 4 : 1);
            for (int d = 1; d < dims.length; d++) {
                dims[d] = r.nextInt(1, 4);
            }
            byte[] data = new byte[(int) type.tensorBytes(dims)];
            r.nextBytes(data);
            w.addTensor("t" + i + text(r), type, dims, data);
        }
        return w;
    }

    static GgufValue value(SplittableRandom r, int depth) {
        return switch (r.nextInt(depth < 2 ? 16 : 15)) {
            case 0 -> new GgufValue.UInt8(r.nextInt(256));
            case 1 -> new GgufValue.Int8((byte) r.nextInt());
            case 2 -> new GgufValue.UInt16(r.nextInt(65536));
            case 3 -> new GgufValue.Int16((short) r.nextInt());
            case 4 -> new GgufValue.UInt32(r.nextLong(1L << 32));
            case 5 -> new GgufValue.Int32(r.nextInt());
            case 6 -> new GgufValue.UInt64(r.nextLong());
            case 7 -> new GgufValue.Int64(r.nextLong());
            case 8 -> new GgufValue.Float32((float) r.nextGaussian());
            case 9 -> new GgufValue.Float64(r.nextGaussian());
            case 10 -> new GgufValue.Bool(r.nextBoolean());
            case 11 -> new GgufValue.Str(text(r));
            case 12, 13 -> numericArray(r);
            case 14 -> GgufStringArray.of(strings(r, r.nextInt(0, 40)));
            default -> {
                List<GgufArray> inner = new ArrayList<>();
                int n = r.nextInt(0, 4);
                for (int i = 0; i < n; i++) {
                    inner.add(switch (r.nextInt(3)) {
                        case 0 -> numericArray(r);
                        case 1 -> GgufStringArray.of(strings(r, r.nextInt(0, 4)));
                        default -> value(r, depth + 1) instanceof GgufArray a ? a : numericArray(r);
                    });
                }
                yield new GgufNestedArray(inner);
            }
        };
    }

    private static GgufNumericArray numericArray(SplittableRandom r) {
        GgufValueType[] primitive = {GgufValueType.UINT8, GgufValueType.INT8, GgufValueType.UINT16,
                GgufValueType.INT16, GgufValueType.UINT32, GgufValueType.INT32, GgufValueType.FLOAT32,
                GgufValueType.BOOL, GgufValueType.UINT64, GgufValueType.INT64, GgufValueType.FLOAT64};
        GgufValueType type = primitive[r.nextInt(primitive.length)];
        int n = r.nextInt(0, 20);
        if (type == GgufValueType.BOOL) {
            boolean[] values = new boolean[n];
            for (int i = 0; i < n; i++) {
                values[i] = r.nextBoolean();
            }
            return GgufNumericArray.ofBooleans(values);
        }
        if (type.isFloatingPoint()) {
            return GgufNumericArray.ofDoubles(type, r.doubles(n).toArray());
        }
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            long v = r.nextLong();
            values[i] = switch (type) {
                case UINT8 -> v & 0xFF;
                case INT8 -> (byte) v;
                case UINT16 -> v & 0xFFFF;
                case INT16 -> (short) v;
                case UINT32 -> v & 0xFFFF_FFFFL;
                case INT32 -> (int) v;
                default -> v;
            };
        }
        return GgufNumericArray.ofLongs(type, values);
    }

    static String text(SplittableRandom r) {
        StringBuilder s = new StringBuilder();
        int n = r.nextInt(0, 4);
        for (int i = 0; i < n; i++) {
            s.append(TEXT[r.nextInt(TEXT.length)]);
        }
        return s.toString();
    }

    private static List<String> strings(SplittableRandom r, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(text(r));
        }
        return out;
    }
}
