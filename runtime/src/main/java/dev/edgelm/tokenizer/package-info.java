/**
 * Tokenizers for GGUF models, following llama.cpp's {@code src/llama-vocab.cpp} and {@code src/unicode.cpp} so that
 * the same text gives the same token ids as llama.cpp.
 *
 * <p>{@link dev.edgelm.tokenizer.Tokenizers#fromGguf Tokenizers.fromGguf} picks the implementation from
 * {@code tokenizer.ggml.model}: {@code llama} is SentencePiece-style BPE (merges by token score, a space prefix,
 * spaces escaped as U+2581, byte fallback to {@code <0xNN>} tokens); {@code gpt2} is byte-level BPE (merges by rank
 * from {@code tokenizer.ggml.merges}, over words cut by the pre-tokenizer that {@code tokenizer.ggml.pre} names).
 *
 * <p>Special tokens (control, user-defined, unknown) are cut out of the text before the model's algorithm runs, as
 * llama.cpp's {@code tokenizer_st_partition} does: control and unknown tokens only when the caller asks (chat
 * templates do, user text does not), user-defined tokens always, as Hugging Face's tokenizers do.
 *
 * <p>Tokenizers copy what they need from the metadata, so they outlive the {@link dev.edgelm.gguf.GgufFile} they
 * were read from, and are immutable and safe to share between threads. A {@link dev.edgelm.tokenizer.StreamingDecoder}
 * is the one stateful piece: one per generated stream.
 */
package dev.edgelm.tokenizer;
