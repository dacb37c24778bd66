package dev.edgelm.kernels.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bit-exactness against recorded llama.cpp output, so the whole quantizers (K-quant searches included) are
 * pinned without a C compiler at test time.
 *
 * <p>The digests are the first 8 bytes of SHA-256 over what llama.cpp commit de3ff815 produced for these
 * inputs: its {@code quantize_row_*_ref} bytes, and its {@code dequantize_row_*} floats (little-endian) from
 * those bytes. The C side was {@code ggml-quants.c} built with {@code gcc -O2 -DNDEBUG} for x86-64 (no
 * {@code -march}: with FMA contraction the K-quant searches round differently), the F16/BF16 rows through
 * {@code ggml-impl.h}'s conversions, I2_S through microsoft/BitNet's {@code quantize_i2_s} (x86 layout) with
 * the padding zeroed, and Q8_1, which ggml cannot dequantize, as {@code q * d}. The testbench conformance
 * suite checks the same against a live build.
 */
class LlamaCppGoldenTest {

    static final int ROWS = 16;
    static final int ROW_LENGTH = 4096;

    /** Inputs: deterministic, independent of JDK random generators. */
    enum Dataset {
        /** Roughly Gaussian values whose 32-value blocks range over magnitudes 2^-8 to 2^8. */
        VARIED,
        /** VARIED with NaN, infinities, 1e30, F16 overflow, subnormals and -0 sprinkled in. */
        SPECIALS,
        /** Ternary weights times 0.0173, a scale no format holds exactly. */
        TERNARY;

        float[] generate() {
            long state = 0x9E37_79B9_7F4A_7C15L * (ordinal() + 1);
            float[] x = new float[ROWS * ROW_LENGTH];
            float magnitude = 1;
            for (int i = 0; i < x.length; i++) {
                state = splitMix(state);
                if (i % 32 == 0) {
                    magnitude = Math.scalb(1f, (int) Long.remainderUnsigned(state, 17) - 8);
                    state = splitMix(state);
                }
                float sumOfFour = 0; // Irwin-Hall: mean 2, close enough to Gaussian for quantizer inputs
                for (int k = 0; k < 4; k++) {
                    sumOfFour += (state >>> (64 - 16 * (k + 1)) & 0xFFFF) / 65536f;
                }
                x[i] = switch (this) {
                    case VARIED -> (sumOfFour - 2) * magnitude;
                    case SPECIALS -> special(i, (sumOfFour - 2) * magnitude);
                    case TERNARY -> ((int) Long.remainderUnsigned(state, 3) - 1) * 0.0173f;
                };
            }
            return x;
        }

        private static float special(int i, float otherwise) {
            return switch (i % 97) {
                case 5 -> Float.NaN;
                case 17 -> Float.POSITIVE_INFINITY;
                case 29 -> Float.NEGATIVE_INFINITY;
                case 41 -> 1e30f;
                case 53 -> 65520f;
                case 61 -> Float.MIN_VALUE * (i % 7);
                case 73 -> -0.0f;
                // Only default-payload NaNs: which payload survives an operation on two NaNs is left open by
                // IEEE 754 (HotSpot's interpreter and JIT differ), and nearest_int reads the payload bits.
                case 89 -> Float.intBitsToFloat(0xFFC0_0000);
                default -> otherwise;
            };
        }

        private static long splitMix(long state) {
            long z = state + 0x9E37_79B9_7F4A_7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
            return z ^ (z >>> 31);
        }
    }

    /** "FORMAT/DATASET" -> quantized-bytes digest and dequantized-floats digest. */
    private static final Map<String, String[]> LLAMA_CPP = Map.ofEntries(
            Map.entry("F32/VARIED", new String[] {"5c19cb0bd1b5c2b6", "5c19cb0bd1b5c2b6"}),
            Map.entry("F16/VARIED", new String[] {"58b5eb5e232203c5", "6dce022ebc4ebd63"}),
            Map.entry("BF16/VARIED", new String[] {"bf400e99fb0e592c", "edfecbc042ca0d83"}),
            Map.entry("Q4_0/VARIED", new String[] {"a787aaea53da218b", "84af6736a782e472"}),
            Map.entry("Q4_1/VARIED", new String[] {"a439d96ec60106c8", "959f4eef73a55d78"}),
            Map.entry("Q5_0/VARIED", new String[] {"004c444bc20a7ddb", "e1be44f95ae5ce96"}),
            Map.entry("Q5_1/VARIED", new String[] {"6e1c9ba30c5bc9bf", "d9952e621a78f55c"}),
            Map.entry("Q8_0/VARIED", new String[] {"ad030527afd96b7e", "54bad0e42dd3b3d8"}),
            Map.entry("Q8_1/VARIED", new String[] {"980c34d28b8cec2c", "54bad0e42dd3b3d8"}),
            Map.entry("Q4_K/VARIED", new String[] {"debfb2134f884380", "e74ab63a91851fe9"}),
            Map.entry("Q5_K/VARIED", new String[] {"ccfc44aa63d0e5c9", "89996becf56ab9fc"}),
            Map.entry("Q6_K/VARIED", new String[] {"187593183c78e990", "576d80408ff36197"}),
            Map.entry("Q8_K/VARIED", new String[] {"38ef6d418edbf11d", "2c02245fef3f0768"}),
            Map.entry("TQ1_0/VARIED", new String[] {"3b972e6d84890971", "d1bacc21b42a5720"}),
            Map.entry("TQ2_0/VARIED", new String[] {"620a96157cada90e", "d1bacc21b42a5720"}),
            Map.entry("I2_S/VARIED", new String[] {"1cfd5e4c9da0b55c", "a42f7e883ce765ad"}),
            Map.entry("F32/SPECIALS", new String[] {"8e475a4a98e8bf98", "8e475a4a98e8bf98"}),
            Map.entry("F16/SPECIALS", new String[] {"b8679fcec8612499", "41912bdaf3d87e46"}),
            Map.entry("BF16/SPECIALS", new String[] {"bd7912b77df65b84", "2d49384e115ffe82"}),
            Map.entry("Q4_0/SPECIALS", new String[] {"4e9dd1ebef710a37", "ce62d5c39a34f475"}),
            Map.entry("Q4_1/SPECIALS", new String[] {"c4b846761c1bc782", "0c723c22f3364a0b"}),
            Map.entry("Q5_0/SPECIALS", new String[] {"ae9e935db5601c0e", "44bca75b91582180"}),
            Map.entry("Q5_1/SPECIALS", new String[] {"50b906d2d121a0a8", "4ce36ffd3b722e20"}),
            Map.entry("Q8_0/SPECIALS", new String[] {"0e437958c34a2ffd", "5d51daba7d2af229"}),
            Map.entry("Q8_1/SPECIALS", new String[] {"dd191764d85d78bb", "5d51daba7d2af229"}),
            Map.entry("Q4_K/SPECIALS", new String[] {"446e0957281c14ad", "8551b2df1491c03e"}),
            Map.entry("Q5_K/SPECIALS", new String[] {"8a927cceb4bf6435", "8551b2df1491c03e"}),
            Map.entry("Q6_K/SPECIALS", new String[] {"091b5d943bb32087", "ede8fc2bbffa422b"}),
            Map.entry("Q8_K/SPECIALS", new String[] {"c51fb47716201949", "8551b2df1491c03e"}),
            Map.entry("TQ1_0/SPECIALS", new String[] {"dc89e01b3c6e8c9d", "3713c3e7b03a5cb2"}),
            Map.entry("TQ2_0/SPECIALS", new String[] {"f9f1c9aed4ba39e1", "045ac2e4e2eac60b"}),
            Map.entry("I2_S/SPECIALS", new String[] {"e41c2364d38034b3", "dfb58ce84806fd74"}),
            Map.entry("F32/TERNARY", new String[] {"4d6f981b72f80dfc", "4d6f981b72f80dfc"}),
            Map.entry("F16/TERNARY", new String[] {"94add69cc6d7da1e", "01fc140b80c809b4"}),
            Map.entry("BF16/TERNARY", new String[] {"041e7738aa5a1275", "4bec19d1b47fccac"}),
            Map.entry("Q4_0/TERNARY", new String[] {"2dc14ca2ce7c469c", "a2b4a6b4a7369bed"}),
            Map.entry("Q4_1/TERNARY", new String[] {"dea10251646c6a44", "ce9e659c1f862ad2"}),
            Map.entry("Q5_0/TERNARY", new String[] {"efbcd2a2fd71f036", "7d451cd6fda9950f"}),
            Map.entry("Q5_1/TERNARY", new String[] {"0a4b7e6d3b28eed5", "91cb1831afc71c8d"}),
            Map.entry("Q8_0/TERNARY", new String[] {"78964a855f76b438", "c124aeb58172741f"}),
            Map.entry("Q8_1/TERNARY", new String[] {"3ee5f71ccd67b3f9", "c124aeb58172741f"}),
            Map.entry("Q4_K/TERNARY", new String[] {"61bb43348d6881bc", "e87412c271975e58"}),
            Map.entry("Q5_K/TERNARY", new String[] {"435eaa8c0f39eb3e", "e7bef3f805e4a52f"}),
            Map.entry("Q6_K/TERNARY", new String[] {"15771f9df2b2f4a3", "4ce3bf01bde65000"}),
            Map.entry("Q8_K/TERNARY", new String[] {"d320adcd2d166023", "f50628607de72c9b"}),
            Map.entry("TQ1_0/TERNARY", new String[] {"c441c78df73cc366", "01fc140b80c809b4"}),
            Map.entry("TQ2_0/TERNARY", new String[] {"52d4016a913788aa", "01fc140b80c809b4"}),
            Map.entry("I2_S/TERNARY", new String[] {"ba936eb2f35c04cc", "4d6f981b72f80dfc"})
    );

    @ParameterizedTest
    @EnumSource(BlockFormat.class)
    void matchesLlamaCppBitForBit(BlockFormat format) {
        for (Dataset dataset : Dataset.values()) {
            String[] expected = LLAMA_CPP.get(format + "/" + dataset);
            String[] actual = digests(format, dataset);
            assertThat(actual).as("%s on %s data: quantized bytes, then dequantized values", format, dataset)
                    .containsExactly(expected);
        }
    }

    static String[] digests(BlockFormat format, Dataset dataset) {
        MemorySegment bytes = Arena.ofAuto().allocate(Quantization.tensorBytes(format, ROWS, ROW_LENGTH));
        Quantization.quantize(format, dataset.generate(), ROW_LENGTH, bytes);
        float[] values = Quantization.dequantize(format, bytes, ROWS, ROW_LENGTH);
        ByteBuffer floats = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            floats.putInt(Float.floatToRawIntBits(v));
        }
        return new String[] {digest(bytes.toArray(ValueLayout.JAVA_BYTE)), digest(floats.array())};
    }

    private static String digest(byte[] data) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(data);
            return HexFormat.of().formatHex(sha, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
