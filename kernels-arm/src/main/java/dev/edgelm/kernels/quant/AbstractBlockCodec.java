package dev.edgelm.kernels.quant;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Checks arguments and walks a row block by block, so each codec only states how one block is encoded.
 *
 * @param <S> per-call scratch state of the encoder ({@link Void} when it needs none), created once per row so
 *     that the codec itself stays stateless
 */
abstract class AbstractBlockCodec<S> implements BlockCodec {

    private final BlockFormat format;

    AbstractBlockCodec(BlockFormat format) {
        this.format = format;
    }

    @Override
    public final BlockFormat format() {
        return format;
    }

    @Override
    public final void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        long bytes = format.rowBytes(n);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        Objects.checkFromIndexSize(dstOffset, bytes, dst.byteSize());
        S scratch = newScratch();
        int blockSize = format.blockSize();
        for (int block = 0; block < n / blockSize; block++) {
            quantizeBlock(src, srcOffset + block * blockSize, dst,
                    dstOffset + (long) block * format.blockBytes(), scratch);
        }
    }

    @Override
    public final void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        long bytes = format.rowBytes(n);
        Objects.checkFromIndexSize(srcOffset, bytes, src.byteSize());
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int blockSize = format.blockSize();
        for (int block = 0; block < n / blockSize; block++) {
            dequantizeBlock(src, srcOffset + (long) block * format.blockBytes(), dst, dstOffset + block * blockSize);
        }
    }

    /** Fresh scratch state for one row; {@code null} when the codec needs none. */
    S newScratch() {
        return null;
    }

    /** Encodes the block of values at {@code x[xOffset]} into the block at {@code y + yOffset}. */
    abstract void quantizeBlock(float[] x, int xOffset, MemorySegment y, long yOffset, S scratch);

    /** Decodes the block at {@code x + xOffset} into {@code y[yOffset ..]}. */
    abstract void dequantizeBlock(MemorySegment x, long xOffset, float[] y, int yOffset);

    @Override
    public String toString() {
        return format + " reference codec";
    }
}
