package dev.edgelm.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.edgelm.gguf.GgufFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgelm info}: what a GGUF file holds, for people ({@code text}) and for programs ({@code --json}). */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Describe a GGUF model: architecture, shapes, tensor types and metadata.")
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf",
            description = "The model file (any part of a split model opens all parts).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile file = GgufFile.open(model)) {
            ModelSummary summary = ModelSummary.of(model, file);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(summary.toJson()));
            } else {
                summary.printText(out);
            }
        }
        out.flush();
        return 0;
    }
}
