package dev.edgelm.agent.cli;

import dev.edgelm.gguf.GgmlType;
import dev.edgelm.gguf.GgufFile;
import dev.edgelm.gguf.GgufTensor;
import dev.edgelm.gguf.GgufWriter;
import dev.edgelm.kernels.ComputePool;
import dev.edgelm.kernels.Requantization;
import dev.edgelm.kernels.RowInterleaving;
import dev.edgelm.kernels.WeightLayout;
import dev.edgelm.kernels.WeightMatrix;
import dev.edgelm.kernels.quant.BlockFormat;
import dev.edgelm.model.Architecture;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
 * as it is, gets an interleaved copy of its own as {@code output.weight}. On request, a head stored in a float type
 * is requantized to a smaller one ({@code --output-type}).
 */
@Command(
        name = "repack",
        mixinStandardHelpOptions = true,
        description = {"Write a copy of a GGUF model whose matrices are stored interleaved (types such as q4_0_x16), "
                + "the layout EdgeLM's vector kernels multiply fastest: opening the copy maps them in place, with no "
                + "copy in memory and no time spent at load. An output head tied to the token embedding gets an "
                + "interleaved copy as output.weight. Everything else is copied as it is. Only EdgeLM reads the "
                + "copy (llama.cpp refuses its unknown types). With --output-type, a float output head is "
                + "requantized too."})
final class RepackCommand implements Callable<Integer> {

    /** Read a row at a time, so never interleaved. */
    private static final Set<String> EMBEDDINGS = Set.of("token_embd.weight", "position_embd.weight");
    private static final String TOKEN_EMBEDDING = "token_embd.weight";
    private static final String HEAD = "output.weight";
    /** The types a float head can be requantized to: quantized weight types with an interleaved layout. */
    private static final List<GgmlType> HEAD_TYPES =
            List.of(GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q4_0);

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf",
            description = "The model file (any part of a split model opens all parts).")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf",
            description = "The copy to write (one file); written beside it first, then moved into place.")
    Path output;

    @Option(names = "--output-type", paramLabel = "TYPE",
            description = "Requantize an output head stored as F32, F16 or BF16 to TYPE (q8_0, q6_K, q5_0, q4_K or "
                    + "q4_0) with llama.cpp's reference quantizer, as llama-quantize's --output-tensor-type does: the "
                    + "head is read whole for every token, and BitNet's I2_S files keep it in F16 (626 MiB for the "
                    + "2B). The logits change a little (q8_0 the least). A head tied to the token embedding is "
                    + "requantized in its copy, output.weight; the embedding itself stays as it is.")
    String outputType;

    @Override
    public Integer call() throws IOException {
        if (Files.exists(output) && Files.exists(model) && Files.isSameFile(model, output)) {
            throw new ParameterException(spec.commandLine(), "the output must not be the model itself: " + output);
        }
        Path directory = output.toAbsolutePath().getParent();
        if (directory != null && !Files.isDirectory(directory)) {
            throw new ParameterException(spec.commandLine(), "the output's directory does not exist: " + directory);
        }
        Optional<GgmlType> headType = headType();
        PrintWriter out = spec.commandLine().getOut();
        // Threads only to requantize a head (a null resource is not closed).
        try (GgufFile file = GgufFile.open(model);
                ComputePool pool = headType.isPresent() ? new ComputePool(ComputePool.defaultThreads()) : null) {
            GgufTensor head = headType.isPresent() ? floatHead(file) : null;
            // One file out, whatever came in: a split model's part keys would send a reader looking for parts.
            GgufWriter writer = new GgufWriter().putAll(file.metadata())
                    .remove("split.no").remove("split.count").remove("split.tensors.count");
            int interleaved = 0;
            long bytes = 0;
            String requantized = "";
            for (GgufTensor t : file.tensors()) {
                WeightMatrix w = EMBEDDINGS.contains(t.name()) ? null : interleavable(t);
                if (head != null && t.name().equals(HEAD)) {
                    requantized = addRequantized(file, writer, t, headType.orElseThrow(), pool);
                } else if (w != null) {
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
                if (head != null) {
                    requantized = addRequantized(file, writer, embedding, headType.orElseThrow(), pool);
                } else if (w != null) {
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
            out.printf(Locale.ROOT, "%s: %d of %d tensors interleaved (%.1f MiB of matrices), the rest copied%s%s%n",
                    output, interleaved, file.tensors().size(), bytes / (1024.0 * 1024.0), tiedHead, requantized);
        }
        out.flush();
        return 0;
    }

    /** The type {@code --output-type} names, if given. */
    private Optional<GgmlType> headType() {
        if (outputType == null) {
            return Optional.empty();
        }
        return Optional.of(HEAD_TYPES.stream().filter(t -> t.ggmlName().equalsIgnoreCase(outputType)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(), "--output-type must be one of "
                        + HEAD_TYPES.stream().map(GgmlType::ggmlName).toList() + ", got " + outputType)));
    }

    /** The output head, or the token embedding it is tied to, which {@code --output-type} requantizes. */
    private GgufTensor floatHead(GgufFile file) {
        GgufTensor head = file.findTensor(HEAD).or(() -> file.findTensor(TOKEN_EMBEDDING)).orElseThrow(
                () -> new IllegalArgumentException("--output-type: the model has neither " + HEAD
                        + " nor " + TOKEN_EMBEDDING));
        if (!head.type().isFloat() || head.rank() != 2) {
            throw new IllegalArgumentException("--output-type: the output head " + head.name()
                    + " is " + head.type().ggmlName() + "; only an F32, F16 or BF16 head is requantized");
        }
        return head;
    }

    /**
     * Adds {@code head} requantized to {@code type} as {@code output.weight}, interleaved if its rows are whole groups,
     * and says so for the summary line.
     */
    private String addRequantized(GgufFile file, GgufWriter writer, GgufTensor head, GgmlType type,
            ComputePool pool) {
        WeightMatrix w = matrix(head);
        BlockFormat format = type.blockFormat().orElseThrow();
        if (!Requantization.canRequantize(w, format, WeightLayout.ROWS)) {
            throw new IllegalArgumentException("--output-type: the output head " + head.name()
                    + " has rows of " + w.cols() + " values, not whole " + type.ggmlName() + " blocks of "
                    + format.blockSize());
        }
        WeightLayout layout = Requantization.canRequantize(w, format, WeightLayout.INTERLEAVED_16)
                ? WeightLayout.INTERLEAVED_16 : WeightLayout.ROWS;
        boolean embeddingRead = Architecture.fromGguf(file.metadata().getOptionalString("general.architecture")
                .orElse("")).map(Architecture::headIsTheEmbedding).orElse(false);
        if (layout == WeightLayout.ROWS && embeddingRead) {
            throw new IllegalArgumentException("--output-type: the head of this "
                    + file.metadata().getString("general.architecture") + " model has " + w.rows() + " rows, not a "
                    + "multiple of " + WeightLayout.GROUP_ROWS + ": its graph reads the token embedding, and only an "
                    + "interleaved output.weight is read in its place");
        }
        GgmlType stored = layout == WeightLayout.ROWS ? type : type.interleaved().orElseThrow();
        writer.addTensor(HEAD, stored, head.dims(), target -> Requantization.requantize(w, format, layout, target,
                pool));
        return String.format(Locale.ROOT, ", and the output head %s requantized to %s as %s (%.1f MiB, from %.1f)",
                head.name(), stored.ggmlName(), HEAD,
                Requantization.requantizedBytes(w, format, layout) / (1024.0 * 1024.0),
                head.byteSize() / (1024.0 * 1024.0));
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
        WeightMatrix w = matrix(t);
        return RowInterleaving.canInterleave(w) ? w : null;
    }

    /** {@code t}, a matrix whose dimensions fit an int, in the GGUF layout. */
    private static WeightMatrix matrix(GgufTensor t) {
        return new WeightMatrix(t.type().blockFormat().orElseThrow(), t.data(), (int) t.dim(1), (int) t.dim(0));
    }
}
