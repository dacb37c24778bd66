package dev.edgelm.agent.cli;

import dev.edgelm.generate.sampling.SamplingParams;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How generating commands pick tokens; llama.cpp's defaults. */
final class SamplingOptions {

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.8",
            description = "Temperature; 0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40",
            description = "Top-k; 0 off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95",
            description = "Top-p; 1 off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05",
            description = "Min-p; 0 off (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Repetition penalty; 1 off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "-1",
            description = "Random seed; -1 for a random one (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The sampling parameters, or a usage error naming the bad value. */
    SamplingParams params(CommandSpec spec, int topLogprobs) {
        try {
            return SamplingParams.defaults()
                    .withTemperature(temperature)
                    .withTopK(topK)
                    .withTopP(topP)
                    .withMinP(minP)
                    .withRepeatPenalty(repeatPenalty)
                    .withSeed(seed)
                    .withTopLogprobs(topLogprobs);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
