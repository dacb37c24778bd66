package dev.edgelm.gguf;

import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.kernels.quant.BlockFormat;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The tensor element types a GGUF file can name, with the ids and block geometry of ggml's {@code ggml.h} and
 * {@code type_traits} (ids 4, 5, 31 to 33, 37 and 38 were removed upstream and are unknown here), and EdgeLM's
 * interleaved types ({@link #Q4_0_X16} and its siblings, named after their format with {@code _X16}).
 *
 * <p>{@link #I2_S} is BitNet's ternary format from the microsoft/BitNet fork, which took id 36 (left free upstream
 * after IQ4_NL_4_4 was removed). It is not block-structured: a whole tensor is 2-bit codes followed by one float32
 * scale, padded to 32 bytes, so use {@link #tensorBytes(long[])} rather than the block geometry for sizes.
 */
public enum GgmlType {
    F32(0, "f32", 1, 4),
    F16(1, "f16", 1, 2),
    Q4_0(2, "q4_0", 32, 18),
    Q4_1(3, "q4_1", 32, 20),
    Q5_0(6, "q5_0", 32, 22),
    Q5_1(7, "q5_1", 32, 24),
    Q8_0(8, "q8_0", 32, 34),
    Q8_1(9, "q8_1", 32, 36),
    Q2_K(10, "q2_K", 256, 84),
    Q3_K(11, "q3_K", 256, 110),
    Q4_K(12, "q4_K", 256, 144),
    Q5_K(13, "q5_K", 256, 176),
    Q6_K(14, "q6_K", 256, 210),
    Q8_K(15, "q8_K", 256, 292),
    IQ2_XXS(16, "iq2_xxs", 256, 66),
    IQ2_XS(17, "iq2_xs", 256, 74),
    IQ3_XXS(18, "iq3_xxs", 256, 98),
    IQ1_S(19, "iq1_s", 256, 50),
    IQ4_NL(20, "iq4_nl", 32, 18),
    IQ3_S(21, "iq3_s", 256, 110),
    IQ2_S(22, "iq2_s", 256, 82),
    IQ4_XS(23, "iq4_xs", 256, 136),
    I8(24, "i8", 1, 1),
    I16(25, "i16", 1, 2),
    I32(26, "i32", 1, 4),
    I64(27, "i64", 1, 8),
    F64(28, "f64", 1, 8),
    IQ1_M(29, "iq1_m", 256, 56),
    BF16(30, "bf16", 1, 2),
    TQ1_0(34, "tq1_0", 256, 54),
    TQ2_0(35, "tq2_0", 256, 66),
    /** BitNet ternary; block size and type size are the fork's nominal 1 and 1, see {@link #tensorBytes}. */
    I2_S(36, "i2_s", 1, 1),
    MXFP4(39, "mxfp4", 32, 17),
    NVFP4(40, "nvfp4", 64, 36),
    Q1_0(41, "q1_0", 128, 18),
    Q2_0(42, "q2_0", 64, 18),
    /**
     * EdgeLM's own, not ggml's: Q4_0 with 16 rows interleaved ({@link WeightLayout#INTERLEAVED_16}), 20 bytes per 32
     * values (the layout widens the scales to F32), written by {@code edgelm repack} so that the layout EdgeLM's
     * vector kernels multiply fastest is mapped in place. The interleaved ids are far above ggml's; no other reader
     * knows them, so they refuse the file rather than misread it. Id 1008: the first Q4_0 interleaving, id 1000, put
     * nibble bytes singly across the rows rather than in pairs, and is refused ({@link #retired}).
     */
    Q4_0_X16(1008, "q4_0_x16", 32, 20),
    /** Q5_0 interleaved, 24 bytes per 32 values: as {@link #Q4_0_X16}, with the fifth bits as 16-bit lanes. */
    Q5_0_X16(1001, "q5_0_x16", 32, 24),
    /**
     * TQ2_0 interleaved, 68 bytes per 256 values: TQ2_0's code bytes in pairs across 16 rows, F32 scales. Written
     * only for matrices without code 3 (which no quantizer writes and its kernel's sums are not bounded for), so a
     * file of this type is read without checking every code. Id 1009: id 1002, the same units, did not promise that
     * and is refused ({@link #retired}).
     */
    TQ2_0_X16(1009, "tq2_0_x16", 256, 68),
    /** Q6_K interleaved, 212 bytes per 256 values: F32 scales, int8 sub-block scales, 6-bit codes in 16-bit words. */
    Q6_K_X16(1003, "q6_K_x16", 256, 212),
    /** Q4_K interleaved, 152 bytes per 256 values: F32 d and dmin, unpacked 6-bit scales and mins, nibble pairs. */
    Q4_K_X16(1004, "q4_K_x16", 256, 152),
    /** TQ1_0 in TQ2_0's interleaved units, 68 bytes per 256 values (TQ1_0 has 54): its trits as 2-bit codes. */
    TQ1_0_X16(1005, "tq1_0_x16", 256, 68),
    /**
     * I2_S interleaved, 32 bytes per 128 values and I2_S's tensor scale after them: I2_S's own code bytes in pairs
     * across 16 rows. Written only for matrices without code 3 (which I2_S reads as 0 and its interleaved kernel
     * would not), so a file of this type is read without checking every code.
     */
    I2_S_X16(1006, "i2_s_x16", 128, 32),
    /** Q8_0 interleaved, 36 bytes per 32 values: Q8_0's codes in pairs across 16 rows, F32 scales. */
    Q8_0_X16(1007, "q8_0_x16", 32, 36);

    /**
     * EdgeLM's ids that {@code edgelm repack} once wrote and no longer reads, and what each stood for: the first Q4_0
     * interleaving ({@link #Q4_0_X16}), whose units were laid out otherwise, and TQ2_0's first ({@link #TQ2_0_X16}).
     */
    private static final Map<Long, String> RETIRED = Map.of(
            1000L, "q4_0_x16 as EdgeLM wrote it before 2026-12-06 (nibble bytes interleaved singly, now in pairs)",
            1002L, "tq2_0_x16 as EdgeLM first wrote it (units that could hold code 3, which its kernel now "
                    + "never reads)");
    /** The name suffix of EdgeLM's interleaved types. */
    private static final String INTERLEAVED_SUFFIX = "_X16";

    private static final GgmlType[] BY_ID = new GgmlType[Arrays.stream(values()).mapToInt(GgmlType::id).max()
            .orElseThrow() + 1];
    private static final BlockFormat[] BLOCK_FORMATS = new BlockFormat[values().length];

    static {
        for (GgmlType type : values()) {
            BY_ID[type.id] = type;
            // Resolved by name so that formats the kernels add later (I2_S) map without a change here.
            String name = type.name().replace(INTERLEAVED_SUFFIX, "");
            BLOCK_FORMATS[type.ordinal()] = Arrays.stream(BlockFormat.values())
                    .filter(format -> format.name().equals(name))
                    .findFirst()
                    .orElse(null);
        }
    }

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, String ggmlName, int blockSize, int typeSize) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The id stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** ggml's own name for the type, as llama.cpp prints it ({@code "q4_K"}, {@code "bf16"}). */
    public String ggmlName() {
        return ggmlName;
    }

    /** Values per block; a row (dimension 0) must be a whole number of blocks. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /**
     * What a retired id of EdgeLM's own stood for, or empty if {@code id} is not one: a layout {@code edgelm repack}
     * once wrote and no longer reads, so that a file holding it is refused with a way out rather than misread.
     */
    public static Optional<String> retired(long id) {
        return Optional.ofNullable(RETIRED.get(id));
    }

    /** The type with this GGUF id, or empty for ids that are unknown or were removed upstream. */
    public static Optional<GgmlType> fromId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /** The kernels' block format for this type, or empty when the kernels cannot compute with it. */
    public Optional<BlockFormat> blockFormat() {
        return Optional.ofNullable(BLOCK_FORMATS[ordinal()]);
    }

    /** Whether values of this type are stored one by one as floating-point numbers: F32, F16 or BF16. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** How the kernels find the blocks of a matrix of this type: as ggml stores them, or interleaved. */
    public WeightLayout layout() {
        return name().endsWith(INTERLEAVED_SUFFIX) ? WeightLayout.INTERLEAVED_16 : WeightLayout.ROWS;
    }

    /**
     * The type that stores this type's values interleaved ({@link WeightLayout#INTERLEAVED_16}), or empty if there
     * is none.
     */
    public Optional<GgmlType> interleaved() {
        return Arrays.stream(values()).filter(type -> type.name().equals(name() + INTERLEAVED_SUFFIX)).findFirst();
    }

    /**
     * Bytes a contiguous tensor of this type and shape occupies in a GGUF data section (without alignment padding).
     *
     * @param dims the shape in ggml order ({@code dims[0]} is the row length); an empty tensor takes 0 bytes
     * @throws IllegalArgumentException if a dimension is negative or a row is not a whole number of blocks
     * @throws ArithmeticException if the element count or the size overflows a {@code long}
     */
    public long tensorBytes(long[] dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a tensor has at least one dimension");
        }
        long elements = 1;
        for (long dim : dims) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
            elements = Math.multiplyExact(elements, dim);
        }
        if (dims[0] % blockSize != 0) {
            throw new IllegalArgumentException(ggmlName + " rows must be a multiple of " + blockSize
                    + " values, got " + dims[0]);
        }
        if (elements == 0) {
            return 0;
        }
        // I2_S and its interleaved twin end with the per-tensor scale block (microsoft/BitNet's ggml_nbytes).
        long trailer = blockFormat().map(BlockFormat::tensorTrailerBytes).orElse(0);
        if (this == I2_S) {
            return elements / 4 + trailer; // 4 codes per byte; the nominal geometry is 1 value in 1 byte
        }
        return Math.addExact(Math.multiplyExact(elements / blockSize, (long) typeSize), trailer);
    }
}
