package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The interleaved unit of {@link dev.edgelm.kernels.quant.BlockFormat#TQ1_0}: exactly a {@link Tq2Units} unit.
 * TQ1_0 and TQ2_0 blocks hold the same thing, 256 ternary values and an F16 scale, so packing decodes each row's
 * base-3 bytes into TQ2_0's code bytes (c = t + 1 in 2-bit fields) and hands them to {@link Tq2Units}; the TQ2_0
 * kernels ({@link InterleavedTq2}) then run TQ1_0 matrices unchanged, on the same Q8_K activations, without the
 * multiply-shift-mask per trit that TQ1_0's row kernel pays.
 *
 * <p>The price is memory: {@value Tq2Units#UNIT_BYTES} bytes per unit, 68 per row and block against TQ1_0's 54
 * (26% more bytes streamed per product, 2.125 bits per value against 1.6875).
 *
 * <p>Unpacking encodes the trits back in base 3, as llama.cpp's {@code quantize_row_tq1_0_ref} does
 * ({@code ceil(q * 256 / 243)}): the canonical bytes, which is what every quantizer writes. The values are
 * always exact, the bytes exact for canonical input; a byte that is not canonical (among the 256 possible, several
 * decode to the same trits) comes back as the canonical byte of its trits.
 */
final class Tq1Units implements UnitLayout {

    static final Tq1Units INSTANCE = new Tq1Units();

    private static final int BLOCK = 256;
    /** TQ1_0's F16 scale, after 48 bytes of 5 trits and 4 of 4. */
    private static final int SCALE = 52;
    /** A TQ2_0 block: its code bytes, then its F16 scale. */
    private static final int TQ2_BLOCK = Tq2Units.CODE_BYTES + 2;
    /**
     * For each of TQ1_0's 52 code bytes and each of its 5 trit places (most significant first), the value it
     * holds, or -1 for the unused fifth place of the last 4 bytes. Bytes 0-31 hold values m + 32n, bytes 32-47
     * values 160 + m + 16n, bytes 48-51 values 240 + m + 4n (m the byte's index in its run).
     */
    private static final int[][] VALUE = values();
    private static final int[] POW3 = {1, 3, 9, 27, 81};

    private Tq1Units() {}

    private static int[][] values() {
        int[][] value = new int[SCALE][5];
        for (int p = 0; p < SCALE; p++) {
            for (int n = 0; n < 5; n++) {
                value[p][n] = p < 32 ? p + 32 * n : p < 48 ? 160 + (p - 32) + 16 * n : n < 4 ? 240 + (p - 48) + 4 * n
                        : -1;
            }
        }
        return value;
    }

    @Override
    public int unitBytes() {
        return Tq2Units.UNIT_BYTES;
    }

    @Override
    public void pack(byte[] rows, int rowBytes, int block, byte[] units, int unit) {
        byte[] tq2 = new byte[GROUP * TQ2_BLOCK];
        for (int i = 0; i < GROUP; i++) {
            int from = i * rowBytes + block;
            int to = i * TQ2_BLOCK;
            for (int p = 0; p < SCALE; p++) {
                int q = rows[from + p] & 0xFF;
                for (int n = 0; n < 5 && VALUE[p][n] >= 0; n++) {
                    // The codec's trit extraction: trit n of q is ((q * 3^n mod 256) * 3) >> 8, in [0, 2].
                    int code = ((q * POW3[n] & 0xFF) * 3) >> 8;
                    int j = VALUE[p][n];
                    // TQ2_0: value 128h + m + 32n' is field n' of byte 32h + m.
                    tq2[to + 32 * (j / 128) + j % 32] |= (byte) (code << 2 * (j % 128 / 32));
                }
            }
            tq2[to + Tq2Units.CODE_BYTES] = rows[from + SCALE];
            tq2[to + Tq2Units.CODE_BYTES + 1] = rows[from + SCALE + 1];
        }
        Tq2Units.INSTANCE.pack(tq2, TQ2_BLOCK, 0, units, unit);
    }

    @Override
    public void unpack(MemorySegment data, long unit, int lane, MemorySegment target, long block) {
        MemorySegment tq2 = MemorySegment.ofArray(new byte[TQ2_BLOCK]);
        Tq2Units.INSTANCE.unpack(data, unit, lane, tq2, 0);
        for (int p = 0; p < SCALE; p++) {
            int q = 0;
            for (int n = 0; n < 5; n++) {
                int j = VALUE[p][n];
                // The unused fifth place of the last 4 bytes is a zero trit, as the quantizer leaves it.
                int code = j < 0 ? 0
                        : tq2.get(ValueLayout.JAVA_BYTE, 32 * (j / 128) + j % 32) >> 2 * (j % 128 / 32) & 3;
                q = 3 * q + code;
            }
            target.set(ValueLayout.JAVA_BYTE, block + p, (byte) ((q * 256 + 242) / 243));
        }
        MemorySegment.copy(tq2, Tq2Units.CODE_BYTES, target, block + SCALE, 2);
    }
}
