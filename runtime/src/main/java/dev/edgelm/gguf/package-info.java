/**
 * GGUF model files: reading by memory mapping ({@link dev.edgelm.gguf.GgufFile}) and writing
 * ({@link dev.edgelm.gguf.GgufWriter}), following llama.cpp's {@code ggml/src/gguf.cpp}.
 *
 * <p>Layout of a GGUF v2/v3 file, all little-endian: magic {@code "GGUF"}, u32 version, u64 tensor count, u64
 * metadata count; the metadata (u64-length-prefixed UTF-8 key, u32 value type, value); the tensor infos (name, u32
 * dimension count, u64 per dimension with {@code dims[0]} the row length, u32 ggml type, u64 data offset relative
 * to the data section); zero padding to {@code general.alignment} (32 by default); the data section, each tensor at
 * an aligned offset.
 *
 * <p>Reading never trusts the file: see {@link dev.edgelm.gguf.GgufFormatException} for how errors are reported.
 */
package dev.edgelm.gguf;
