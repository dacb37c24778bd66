package dev.edgelm.gguf;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Corrupts small valid files made by {@link GgufWriter} in every structural way and checks that each corruption
 * either loads (and then reads back without error) or fails with {@link GgufFormatException}: never another
 * exception, an {@link OutOfMemoryError}, or a hang.
 *
 * <p>Reproduce a failure with {@code -Dgguf.fuzz.seed=SEED} (the failure message gives the seed and the case).
 */
class GgufFuzzProperties {
    private static final int BASE_FILES = 60;
    private static final int CASES = 30_000;
    private static final long CASE_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record Base(byte[] bytes, GgufLayout layout) {
    }

    private record Case(String description, byte[] bytes) {
    }

    private volatile String current = "not started";

    @Test
    void everyCorruptionLoadsOrFailsCleanly() {
        long seed = Long.getLong("gguf.fuzz.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        List<Base> bases = new ArrayList<>();
        for (int i = 0; i < BASE_FILES; i++) {
            byte[] bytes = RandomGguf.writer(random).toByteArray();
            bases.add(new Base(bytes, new GgufLayout(bytes)));
        }
        int[] outcomes = new int[2];
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            int index = 0;
            // Truncation at every structural boundary of every base file.
            for (int b = 0; b < bases.size(); b++) {
                Base base = bases.get(b);
                for (GgufLayout.Field f : base.layout.fields) {
                    for (long at : new long[] {f.offset(), f.offset() + f.width() / 2}) {
                        if (at < base.bytes.length) {
                            check(seed, index++, b, new Case("truncate at " + at + " (" + f.kind() + ")",
                                    Arrays.copyOf(base.bytes, (int) at)), outcomes);
                        }
                    }
                }
            }
            while (index < CASES) {
                int b = random.nextInt(bases.size());
                check(seed, index++, b, mutate(random, bases.get(b)), outcomes);
            }
            return null;
        }, () -> "hang or too slow, seed " + seed + ", at " + current);
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = outcomes[0] + outcomes[1];
        System.out.printf("GGUF fuzz: seed %d, %d cases (%d loaded, %d rejected) in %.2f s, %.0f cases/s%n",
                seed, total, outcomes[0], outcomes[1], seconds, total / seconds);
        assertThat(total).isGreaterThanOrEqualTo(10_000);
        assertThat(outcomes[1]).as("most corruptions are detected").isGreaterThan(total / 2);
    }

    private void check(long seed, int index, int base, Case c, int[] outcomes) {
        current = "case " + index + " (base " + base + "): " + c.description;
        long t0 = System.nanoTime();
        try {
            GgufFile file = GgufFile.parse(MemorySegment.ofArray(c.bytes), "case-" + index);
            readEverything(file);
            outcomes[0]++;
        } catch (GgufFormatException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(e.offset()).isBetween(-1L, (long) c.bytes.length);
            outcomes[1]++;
        } catch (Throwable t) {
            fail("seed " + seed + ", " + current + ": " + t + "\nfile: " + HexFormat.of().formatHex(c.bytes), t);
        }
        long elapsed = System.nanoTime() - t0;
        if (elapsed > CASE_DEADLINE_NANOS) {
            fail("seed " + seed + ", " + current + " took " + elapsed / 1_000_000 + " ms");
        }
    }

    /** A file that loads must be fully readable: lazy views must not fail later. */
    private static void readEverything(GgufFile file) {
        file.metadata().asMap().values().forEach(GgufFuzzProperties::touch);
        for (GgufTensor t : file.tensors()) {
            if (t.byteSize() > 0) {
                t.data().get(Le.I8, 0);
                t.data().get(Le.I8, t.byteSize() - 1);
            }
            assertThat(t.byteSize()).isEqualTo(t.type().tensorBytes(t.dims()));
        }
    }

    private static void touch(GgufValue value) {
        switch (value) {
            case GgufStringArray a -> a.asList().forEach(String::length);
            case GgufNumericArray a -> {
                for (int i = 0; i < a.size(); i++) {
                    if (a.elementType().isFloatingPoint()) {
                        a.getDouble(i);
                    } else {
                        a.getLong(i);
                    }
                }
            }
            case GgufNestedArray a -> a.elements().forEach(GgufFuzzProperties::touch);
            default -> value.toString();
        }
    }

    private static Case mutate(SplittableRandom r, Base base) {
        byte[] b = base.bytes.clone();
        List<GgufLayout.Field> fields = base.layout.fields;
        switch (r.nextInt(9)) {
            case 0 -> {
                int n = r.nextInt(1, 4);
                StringBuilder d = new StringBuilder("flip");
                for (int i = 0; i < n; i++) {
                    int at = r.nextInt(b.length);
                    int mask = r.nextInt(1, 256);
                    b[at] ^= (byte) mask;
                    d.append(' ').append(at).append("^").append(mask);
                }
                return new Case(d.toString(), b);
            }
            case 1, 2, 3 -> {
                GgufLayout.Field f = pick(r, fields.stream().filter(x -> x.width() == 4 || x.width() == 8)
                        .filter(x -> x.kind() != GgufLayout.Kind.SCALAR || r.nextInt(4) == 0).toList());
                long v = interesting(r, f, base);
                put(b, f, v);
                return new Case("set " + f.kind() + " at " + f.offset() + " to " + Long.toUnsignedString(v), b);
            }
            case 4 -> {
                List<GgufLayout.Field> offsets = base.layout.of(GgufLayout.Kind.TENSOR_OFFSET);
                if (offsets.isEmpty()) {
                    return truncate(r, b);
                }
                GgufLayout.Field f = pick(r, offsets);
                GgufLayout.Field other = pick(r, offsets);
                long v = base.layout.alignment;
                long target = get(b, other) + switch (r.nextInt(4)) {
                    case 0 -> 0;
                    case 1 -> v;
                    case 2 -> -v;
                    default -> 1;
                };
                put(b, f, target);
                return new Case("tensor offset at " + f.offset() + " set to " + target, b);
            }
            case 5 -> {
                List<GgufLayout.Field> strings = base.layout.of(GgufLayout.Kind.STRING_BYTES).stream()
                        .filter(x -> x.width() > 0).toList();
                if (strings.isEmpty()) {
                    return truncate(r, b);
                }
                GgufLayout.Field f = pick(r, strings);
                long at = f.offset() + r.nextLong(f.width());
                b[(int) at] = (byte) r.nextInt(0x80, 0x100);
                return new Case("non-ASCII byte " + (b[(int) at] & 0xFF) + " at " + at, b);
            }
            case 6 -> {
                // Copy one string over another of the same length: duplicate keys or tensor names.
                List<GgufLayout.Field> strings = base.layout.of(GgufLayout.Kind.STRING_BYTES);
                GgufLayout.Field from = strings.isEmpty() ? null : pick(r, strings);
                List<GgufLayout.Field> same = from == null ? List.of()
                        : strings.stream().filter(x -> x.width() == from.width() && x != from).toList();
                if (same.isEmpty()) {
                    return truncate(r, b);
                }
                GgufLayout.Field to = pick(r, same);
                System.arraycopy(base.bytes, (int) from.offset(), b, (int) to.offset(), (int) from.width());
                return new Case("copy string at " + from.offset() + " over " + to.offset(), b);
            }
            case 7 -> {
                GgufLayout.Field f = pick(r, fields);
                int at = (int) (r.nextBoolean() ? f.offset() : f.end());
                int n = r.nextInt(1, 9);
                byte[] out;
                String d;
                if (r.nextBoolean() || at + n > b.length) {
                    byte[] junk = new byte[n];
                    r.nextBytes(junk);
                    out = new byte[b.length + n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(junk, 0, out, at, n);
                    System.arraycopy(b, at, out, at + n, b.length - at);
                    d = "insert " + n + " bytes at " + at;
                } else {
                    out = new byte[b.length - n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + n, out, at, b.length - at - n);
                    d = "delete " + n + " bytes at " + at;
                }
                return new Case(d, out);
            }
            default -> {
                return truncate(r, b);
            }
        }
    }

    private static Case truncate(SplittableRandom r, byte[] b) {
        int at = r.nextInt(b.length + 1);
        return new Case("truncate at " + at, Arrays.copyOf(b, at));
    }

    private static long interesting(SplittableRandom r, GgufLayout.Field f, Base base) {
        long current = get(base.bytes, f);
        long size = base.bytes.length;
        long[] candidates = {0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 31, 36, 43, 63, 64, 255, 256, -1, Long.MAX_VALUE,
                Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 31, 1L << 32, (1L << 32) - 1, 1L << 62, 1L << 30,
                (1L << 30) + 1, size, size + 1, size - f.offset(), current + 1, current - 1, current * 2,
                current + base.layout.alignment, r.nextLong()};
        return candidates[r.nextInt(candidates.length)];
    }

    private static long get(byte[] b, GgufLayout.Field f) {
        MemorySegment s = MemorySegment.ofArray(b);
        return f.width() == 4 ? Integer.toUnsignedLong(s.get(Le.I32, f.offset())) : s.get(Le.I64, f.offset());
    }

    private static void put(byte[] b, GgufLayout.Field f, long v) {
        MemorySegment s = MemorySegment.ofArray(b);
        if (f.width() == 4) {
            s.set(Le.I32, f.offset(), (int) v);
        } else {
            s.set(Le.I64, f.offset(), v);
        }
    }

    private static <T> T pick(SplittableRandom r, List<T> list) {
        return list.get(r.nextInt(list.size()));
    }
}
