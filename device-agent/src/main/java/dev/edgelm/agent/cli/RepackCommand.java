package dev.edgelm.agent.cli;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufWriter;
import dev.edgelm.kernels.RowInterleaving;
import dev.edgelm.kernels.WeightMatrix;
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
 * {@code edgelm repack}: a copy of a model whose matrices are stored in the interleaved layout the vector kernels
 * multiply fastest (the {@code _X16} types, {@link GgmlType#interleaved}), so that opening it maps them in place
 * instead of copying them at load. A head tied to the token embedding, which is read a row at a time and so stays
 * as it is, gets an interleaved copy of its own as {@code output.weight}.
 */
@Command(
        name = "repack",
        mixinStandardHelpOptions = true,
        description = {"Write a copy of a GGUF model whose matrices are stored interleaved (types such as q4_0_x16), "
                + "the layout EdgeLM's vector kernels multiply fastest: opening the copy maps them in place, with no "
                + "copy in memory and no time spent at load. An output head tied to the token embedding gets an "
                + "interleaved copy as output.weight. Everything else is copied as it is. Only EdgeLM reads the "
                + "copy (llama.cpp refuses its unknown types)."})
final class RepackCommand implements Callable<Integer> {

    /** Read a row at a time, so never interleaved. */
    private static final Set<String> EMBEDDINGS = Set.of("token_embd.weight", "position_embd.weight");
    private static final String TOKEN_EMBEDDING = "token_embd.weight";
    private static final String HEAD = "output.weight";

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
                WeightMatrix w = EMBEDDINGS.contains(t.name()) ? null : interleavable(t);
                if (w != null) {
                    addInterleaved(writer, t.name(), t, w);
                    interleaved++;
                    bytes += t.byteSize();
                } else {
                    writer.addTensor(t.name(), t.type(), t.dims(), t.data());
                }
            }
            String tiedHead = "";
            if (file.findTensor(HEAD).isEmpty() && file.findTensor(TOKEN_EMBEDDING).isPresent()) {
                GgufTensor embedding = file.tensor(TOKEN_EMBEDDING);
                WeightMatrix w = interleavable(embedding);
                if (w != null) {
                    addInterleaved(writer, HEAD, embedding, w);
                    tiedHead = String.format(Locale.ROOT, ", and the tied output head added interleaved as %s "
                            + "(%.1f MiB)", HEAD, embedding.byteSize() / (1024.0 * 1024.0));
                }
            }
            Path partial = output.resolveSibling(output.getFileName() + ".partial");
            try {
                writer.write(partial);
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            out.printf(Locale.ROOT, "%s: %d of %d tensors interleaved (%.1f MiB of matrices), the rest copied%s%n",
                    output, interleaved, file.tensors().size(), bytes / (1024.0 * 1024.0), tiedHead);
        }
        out.flush();
        return 0;
    }

    private static void addInterleaved(GgufWriter writer, String name, GgufTensor t, WeightMatrix w) {
        writer.addTensor(name, t.type().interleaved().orElseThrow(), t.dims(),
                target -> RowInterleaving.interleave(w, target));
    }

    /**
     * {@code t} as a matrix if it is a matrix of whole 16-row groups of a type that has an interleaved twin, else
     * null.
     */
    private static WeightMatrix interleavable(GgufTensor t) {
        if (t.type().interleaved().isEmpty() || t.rank() != 2 || t.dim(1) > Integer.MAX_VALUE
                || t.dim(0) > Integer.MAX_VALUE) {
            return null;
        }
        WeightMatrix w = new WeightMatrix(t.type().blockFormat().orElseThrow(), t.data(), (int) t.dim(1),
                (int) t.dim(0));
        return RowInterleaving.canInterleave(w) ? w : null;
    }
}
