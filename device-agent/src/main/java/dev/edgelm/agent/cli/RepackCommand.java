package dev.edgelm.agent.cli;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufWriter;
import dev.edgelm.kernels.RowInterleaving;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code edgelm repack}: a copy of a model whose Q4_0 matrices are stored in the interleaved layout the vector kernels
 * multiply fastest ({@link GgmlType#Q4_0_X16}), so that opening it maps them in place instead of copying them.
 */
@Command(
        name = "repack",
        mixinStandardHelpOptions = true,
        description = {"Write a copy of a GGUF model whose Q4_0 matrices are stored interleaved (type q4_0_x16), the "
                + "layout EdgeLM's vector kernels multiply fastest: opening the copy maps them in place, with no "
                + "copy in memory and no time spent at load. Everything else is copied as it is. Only EdgeLM reads "
                + "the copy (llama.cpp refuses its unknown type)."})
final class RepackCommand implements Callable<Integer> {

    /** Read a row at a time, so never interleaved. */
    private static final Set<String> EMBEDDINGS = Set.of("token_embd.weight", "position_embd.weight");

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf",
            description = "The model file (any part of a split model opens all parts).")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf",
            description = "The copy to write (one file); written beside it first, then moved into place.")
    Path output;

    @Override
    public Integer call() throws IOException {
        if (Files.exists(output) && Files.exists(model) && Files.isSameFile(model, output)) {
            throw new ParameterException(spec.commandLine(), "the output must not be the model itself: " + output);
        }
        Path directory = output.toAbsolutePath().getParent();
        if (directory != null && !Files.isDirectory(directory)) {
            throw new ParameterException(spec.commandLine(), "the output's directory does not exist: " + directory);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile file = GgufFile.open(model)) {
            // One file out, whatever came in: a split model's part keys would send a reader looking for parts.
            GgufWriter writer = new GgufWriter().putAll(file.metadata())
                    .remove("split.no").remove("split.count").remove("split.tensors.count");
            int interleaved = 0;
            long bytes = 0;
            for (GgufTensor t : file.tensors()) {
                WeightMatrix w = interleavable(t);
                if (w != null) {
                    writer.addTensor(t.name(), GgmlType.Q4_0_X16, t.dims(),
                            target -> RowInterleaving.interleave(w, target));
                    interleaved++;
                    bytes += t.byteSize();
                } else {
                    writer.addTensor(t.name(), t.type(), t.dims(), t.data());
                }
            }
            Path partial = output.resolveSibling(output.getFileName() + ".partial");
            try {
                writer.write(partial);
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            out.printf(Locale.ROOT, "%s: %d of %d tensors interleaved (%.1f MiB of Q4_0 matrices), the rest copied%n",
                    output, interleaved, file.tensors().size(), bytes / (1024.0 * 1024.0));
        }
        out.flush();
        return 0;
    }

    /**
     * {@code t} as a matrix if it is a Q4_0 matrix of whole 16-row groups that the model multiplies (every one but
     * the embeddings), else null.
     */
    private static WeightMatrix interleavable(GgufTensor t) {
        if (t.type() != GgmlType.Q4_0 || t.rank() != 2 || EMBEDDINGS.contains(t.name())
                || t.dim(1) > Integer.MAX_VALUE || t.dim(0) > Integer.MAX_VALUE) {
            return null;
        }
        WeightMatrix w = new WeightMatrix(BlockFormat.Q4_0, t.data(), (int) t.dim(1), (int) t.dim(0));
        return RowInterleaving.canInterleave(w) ? w : null;
    }
}
