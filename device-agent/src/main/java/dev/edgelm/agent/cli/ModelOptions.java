package dev.edgelm.agent.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model and context options of the generating commands (a picocli mixin). */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "The model.")
    Path model;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context length; 0 for the model's, up to 4096 (default: ${DEFAULT-VALUE}).")
    int contextLength;
}
