package dev.edgelm.testbench.peerbench;

/**
 * One engine's measurements in one round.
 *
 * @param prefillTps               prompt tokens per second of the benchmark's prefill
 * @param decodeTps                generated tokens per second of the benchmark's decode steps
 * @param decodeCpuCores           the benchmark process's CPU time over the wall time of its decode steps: fewer
 *                                 busy cores than threads means the machine's other processes took the rest (NaN
 *                                 where the engine does not report it)
 * @param peakRssBytes             the benchmark process's peak resident set as the engine reports it (EdgeLM:
 *                                 {@code VmHWM}; llama.cpp: node's {@code maxRSS}, node and V8 included)
 * @param rssOutsideModelBytes     the benchmark process's largest resident memory outside the model file's mapping
 *                                 (sampled from {@code /proc/PID/smaps}), or -1 if it could not be sampled
 * @param ttftMs                   wall time of the time-to-first-token process, start to exit
 * @param ttftInProcessMs          the part of it the engine times itself (llama.cpp: model load + prefill of the
 *                                 prompt and the first token), or NaN where it reports none
 * @param ttftPromptTokens         the prompt's length in tokens as the engine counted it (BOS included)
 * @param contextPositions         the benchmark's context (KV cache) length in positions
 * @param backend                  the kernels the engine ran (EdgeLM's kernel set, llama.cpp's CPU backend)
 */
public record Sample(double prefillTps, double decodeTps, double decodeCpuCores, long peakRssBytes, long rssOutsideModelBytes,
        double ttftMs, double ttftInProcessMs, int ttftPromptTokens, int contextPositions, String backend) {}
