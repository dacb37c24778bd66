/**
 * {@code testbench peer-bench}: EdgeLM and llama.cpp side by side on the same synthetic GGUF files (issue 5).
 *
 * <p>{@link dev.edgelm.testbench.peerbench.PeerBenchCommand} generates the fixtures it needs
 * ({@link dev.edgelm.testbench.peerbench.FixtureSpec}), runs the two engines alternately in separate processes
 * ({@link dev.edgelm.testbench.peerbench.Engine}), and prints one table per fixture with the medians over the
 * rounds and the ratios EdgeLM / llama.cpp ({@link dev.edgelm.testbench.peerbench.PeerBenchReport}). Speeds are
 * reported, never judged: the machine is shared and noisy, so only ratios from the same run mean much.
 */
package dev.edgelm.testbench.peerbench;
