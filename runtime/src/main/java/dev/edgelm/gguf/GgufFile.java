package dev.edgelm.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF model: one file, or all parts of a model split by llama.cpp's gguf-split, memory-mapped read-only.
 *
 * <p>Nothing is read eagerly beyond the headers: tensors are zero-copy slices of the mapping and metadata arrays are
 * views of it, so all of them are usable only until {@link #close()}. The object is immutable and its tensors may be
 * read from any thread; closing while other threads still read makes their reads fail with
 * {@link IllegalStateException} (never a crash).
 *
 * <p>Split models follow llama.cpp: parts are named {@code NAME-00001-of-0000N.gguf}, each carries {@code split.no}
 * (0-based) and {@code split.count}; the first carries the model's metadata and {@code split.tensors.count}, and
 * the tensors are spread over the parts.
 */
public final class GgufFile implements AutoCloseable {
    static final String SPLIT_NO = "split.no";
    static final String SPLIT_COUNT = "split.count";
    static final String SPLIT_TENSORS_COUNT = "split.tensors.count";
    private static final Pattern SPLIT_NAME = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf");

    /**
     * One file of the model.
     *
     * @param source the file's path (or the name given to {@link #parse(MemorySegment, String)})
     * @param version the GGUF version, 2 or 3
     * @param alignment the data alignment ({@code general.alignment}, default 32)
     * @param dataOffset where the data section starts in the file
     * @param size the file's size in bytes
     * @param tensorCount how many of the model's tensors are in this file
     */
    public record Part(String source, int version, long alignment, long dataOffset, long size, int tensorCount) {
    }

    private final Arena arena;
    private final List<Part> parts;
    private final GgufMetadata metadata;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> byName;
    private boolean closed;

    private GgufFile(Arena arena, List<Part> parts, GgufMetadata metadata, Map<String, GgufTensor> byName) {
        this.arena = arena;
        this.parts = List.copyOf(parts);
        this.metadata = metadata;
        this.tensors = List.copyOf(byName.values());
        this.byName = Collections.unmodifiableMap(byName);
    }

    /**
     * Maps and parses a GGUF file; if it is one part of a split model, opens every part.
     *
     * @param path a single-file model, or any part of a split model
     * @throws IOException if a file cannot be opened or mapped
     * @throws GgufFormatException if a file is malformed or the parts do not form one model
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared(); // shared: inference threads read the tensors
        try {
            return open(path, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF file already in memory. The result does not own {@code segment}: it stays valid as long as the
     * segment does, and {@link #close()} does nothing.
     *
     * @param source names the file in error messages
     * @throws GgufFormatException if the bytes are not well-formed GGUF v2 or v3
     */
    public static GgufFile parse(MemorySegment segment, String source) {
        return single(null, source, GgufReader.parse(segment, source));
    }

    private static GgufFile open(Path path, Arena arena) throws IOException {
        GgufReader.Parsed given = map(path, arena);
        OptionalInt count = given.metadata().getOptionalInt(SPLIT_COUNT);
        if (count.isEmpty() || count.getAsInt() <= 1) {
            return single(arena, path.toString(), given);
        }
        int n = count.getAsInt();
        int no = given.metadata().getInt(SPLIT_NO);
        String name = path.getFileName().toString();
        Matcher m = SPLIT_NAME.matcher(name);
        if (!m.matches() || Integer.parseInt(m.group(2)) != no + 1 || Integer.parseInt(m.group(3)) != n) {
            throw new GgufFormatException(path.toString(), offset(given, SPLIT_NO), "this is part " + (no + 1)
                    + " of " + n + " (split.no " + no + ", split.count " + n + ") but the file is not named "
                    + "NAME-" + partNumber(no + 1) + "-of-" + partNumber(n) + ".gguf, so its other parts cannot"
                    + " be found");
        }
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            paths.add(path.resolveSibling(m.group(1) + "-" + partNumber(i + 1) + "-of-" + partNumber(n) + ".gguf"));
        }

        List<Part> parts = new ArrayList<>();
        Map<String, GgufTensor> byName = new LinkedHashMap<>();
        Map<String, String> partOf = new HashMap<>();
        GgufReader.Parsed first = null;
        for (int i = 0; i < n; i++) {
            Path partPath = paths.get(i);
            if (!Files.exists(partPath)) {
                throw new GgufFormatException(path.toString(), offset(given, SPLIT_COUNT), "split.count is " + n
                        + " but part " + (i + 1) + ", " + partPath + ", does not exist");
            }
            GgufReader.Parsed parsed = i == no ? given : map(partPath, arena);
            String source = partPath.toString();
            int partCount = parsed.metadata().getOptionalInt(SPLIT_COUNT).orElse(1);
            if (partCount != n) {
                throw new GgufFormatException(source, offset(parsed, SPLIT_COUNT), "split.count is " + partCount
                        + " but " + path.getFileName() + " says the model has " + n + " parts");
            }
            int partNo = parsed.metadata().getInt(SPLIT_NO);
            if (partNo != i) {
                throw new GgufFormatException(source, offset(parsed, SPLIT_NO), "split.no is " + partNo
                        + " but the file is part " + (i + 1) + " of " + n + " (expected split.no " + i + ")");
            }
            if (i == 0) {
                first = parsed;
            }
            for (int t = 0; t < parsed.tensors().size(); t++) {
                GgufTensor tensor = parsed.tensors().get(t);
                String earlier = partOf.putIfAbsent(tensor.name(), source);
                if (earlier != null) {
                    throw new GgufFormatException(source, parsed.tensorInfoOffsets()[t], "tensor '" + tensor.name()
                            + "' is also in " + earlier);
                }
                byName.put(tensor.name(), tensor);
            }
            parts.add(part(source, parsed));
        }
        OptionalInt expected = first.metadata().getOptionalInt(SPLIT_TENSORS_COUNT);
        if (expected.isPresent() && expected.getAsInt() != byName.size()) {
            throw new GgufFormatException(paths.getFirst().toString(), offset(first, SPLIT_TENSORS_COUNT),
                    "split.tensors.count is " + expected.getAsInt() + " but the " + n + " parts hold "
                            + byName.size() + " tensors");
        }
        return new GgufFile(arena, parts, first.metadata(), byName);
    }

    private static GgufFile single(Arena arena, String source, GgufReader.Parsed parsed) {
        Map<String, GgufTensor> byName = new LinkedHashMap<>();
        parsed.tensors().forEach(t -> byName.put(t.name(), t));
        return new GgufFile(arena, List.of(part(source, parsed)), parsed.metadata(), byName);
    }

    private static GgufReader.Parsed map(Path path, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            // One mapping per file, of any size: MemorySegment offsets are longs, so files over 2 GB just work.
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return GgufReader.parse(mapped, path.toString());
        }
    }

    private static Part part(String source, GgufReader.Parsed parsed) {
        return new Part(source, parsed.version(), parsed.alignment(), parsed.dataOffset(), parsed.size(),
                parsed.tensors().size());
    }

    private static long offset(GgufReader.Parsed parsed, String key) {
        return parsed.metadata().offsetOf(key).orElse(-1);
    }

    private static String partNumber(int n) {
        return String.format("%05d", n);
    }

    /** The GGUF version of the (first) file. */
    public int version() {
        return parts.getFirst().version();
    }

    /** The data alignment of the (first) file. */
    public long alignment() {
        return parts.getFirst().alignment();
    }

    /** Where the (first) file's data section starts. */
    public long dataOffset() {
        return parts.getFirst().dataOffset();
    }

    /** The files of the model, first part first; one for an unsplit model. */
    public List<Part> parts() {
        return parts;
    }

    /** The model's metadata (from the first part of a split model), keys in file order. */
    public GgufMetadata metadata() {
        return metadata;
    }

    /** All tensors, in file order (part by part for a split model). */
    public List<GgufTensor> tensors() {
        return tensors;
    }

    /**
     * The tensor named {@code name}.
     *
     * @throws GgufFormatException if the model has no such tensor
     */
    public GgufTensor tensor(String name) {
        GgufTensor tensor = byName.get(name);
        if (tensor == null) {
            throw new GgufFormatException(parts.getFirst().source(), -1, "no tensor named '" + name + "'");
        }
        return tensor;
    }

    /** The tensor named {@code name}, or empty. */
    public Optional<GgufTensor> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Unmaps the files; tensors and metadata arrays are unusable afterwards. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (!closed && arena != null) {
            arena.close();
        }
        closed = true;
    }
}
