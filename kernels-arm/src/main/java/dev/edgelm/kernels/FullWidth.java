package dev.edgelm.kernels;

import jdk.incubator.vector.VectorSpecies;

/**
 * The species of the kernels whose integer loops run at the configured width ({@link InterleavedQ4_0},
 * {@link InterleavedQ4K}, {@link InterleavedQ8_0}, {@link InterleavedTq2}): code bytes at half the width, which
 * widen to 16-bit lanes at the full width, and 32-bit and float lanes at the full width. Up to 512 bits: a vector
 * then holds a whole 16-row group, two 16-bit lanes per row, and no more.
 */
final class FullWidth {

    private static final int BITS = Math.min(KernelProvider.VECTOR_BITS, 512);
    static final VectorSpecies<Byte> BYTES = VectorKernels.species(byte.class, BITS / 2);
    static final VectorSpecies<Short> SHORTS = VectorKernels.species(short.class, BITS);
    static final VectorSpecies<Integer> INTS = VectorKernels.species(int.class, BITS);
    static final VectorSpecies<Float> FLOATS = VectorKernels.species(float.class, BITS);
    /** Rows per vector: two 16-bit lanes, one 32-bit or float lane, two code bytes each. */
    static final int ROWS = SHORTS.length() / 2;
    /** Rows a pass of these kernels computes: two vectors, which share the activation broadcasts. */
    static final int ROW_STEP = 2 * ROWS;

    private FullWidth() {}
}
