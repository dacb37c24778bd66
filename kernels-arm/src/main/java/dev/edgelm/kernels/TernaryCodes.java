package dev.edgelm.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The check the interleaved ternary units make before packing a matrix ({@link Tq2Units#canPack},
 * {@link I2sUnits#canPack}): that none of its 2-bit codes is 3. No quantizer writes code 3 (TQ2_0's and BitNet's
 * write 0 to 2), and {@link InterleavedTq2}'s 16-bit sums are bounded for codes up to 2 only.
 */
final class TernaryCodes {

    /** The low bit of every 2-bit field of a long. */
    private static final long LOW_BITS = 0x5555_5555_5555_5555L;
    /** Blocks' bytes are scanned through a heap array, as packing reads them: segment accessors are slow until the
     * JIT has compiled them. */
    private static final int BATCH_BYTES = 1 << 15;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private TernaryCodes() {}

    /**
     * Whether no code is 3 in the first {@code codeBytes} (a multiple of 8) of each {@code blockBytes}-byte block
     * of {@code data[0, bytes)}: a read of the matrix, 32 codes at a time.
     */
    static boolean noCode3(MemorySegment data, long bytes, int blockBytes, int codeBytes) {
        int batchBlocks = Math.max(1, BATCH_BYTES / blockBytes);
        byte[] batch = new byte[batchBlocks * blockBytes];
        for (long at = 0; at < bytes; at += (long) batchBlocks * blockBytes) {
            int blocks = (int) Math.min(batchBlocks, (bytes - at) / blockBytes);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, batch, 0, blocks * blockBytes);
            for (int block = 0; block < blocks * blockBytes; block += blockBytes) {
                for (int i = block; i < block + codeBytes; i += Long.BYTES) {
                    long codes = (long) LONGS.get(batch, i);
                    // A field is 3 where its high bit and its low bit are set.
                    if ((codes & codes >>> 1 & LOW_BITS) != 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
