package dev.edgelm.testbench.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgelm.testbench.peer.LlamaCppPeer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./edgelm} launcher as a user runs it: it finds a JDK 25 whatever the environment offers first, passes
 * the runtime's JVM flags, and says clearly what is missing.
 */
class LauncherTest {

    /** The repository root: surefire runs in the testbench module's folder. */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path LAUNCHER = ROOT.resolve("edgelm");

    private static LlamaCppPeer.ProcessResult launch(Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>();
        command.add("env");
        environment.forEach((key, value) -> command.add(key + "=" + value));
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        return LlamaCppPeer.run(command, new byte[0], Duration.ofSeconds(60));
    }

    @Test
    void runsTheAgentOnAJdk25WithTheVectorModule() {
        assumeTrue(Files.isRegularFile(ROOT.resolve("device-agent/target/edgelm.jar")),
                "device-agent/target/edgelm.jar is not built (run the tests through ./mvnw verify)");
        LlamaCppPeer.ProcessResult result = launch(Map.of(), "--version");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        String out = new String(result.stdout(), StandardCharsets.UTF_8);
        assertThat(out).startsWith("edgelm ").containsPattern("JVM (2[5-9]|[3-9][0-9])");
        // The JVM announces the incubating Vector API module only when the launcher added it.
        assertThat(result.stderr()).contains("jdk.incubator.vector");
        // The JIT option is passed quietly: nothing but the version on standard output.
        assertThat(out.lines().filter(line -> line.contains("CompileCommand"))).isEmpty();
    }

    /** On JDK 25, C2 cleans up between rounds of incremental inlining in EdgeLM's methods (the launcher's comment). */
    @Test
    void asksC2ForItsInliningCleanUpOnJdk25() {
        assumeTrue(Files.isRegularFile(ROOT.resolve("device-agent/target/edgelm.jar")), "edgelm.jar is not built");
        assumeTrue(Runtime.version().feature() == 25, "the option is passed on JDK 25 only");
        LlamaCppPeer.ProcessResult result = launch(Map.of("EDGELM_JAVA_OPTS", "-XX:+PrintFlagsFinal"), "--version");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(new String(result.stdout(), StandardCharsets.UTF_8))
                .containsPattern("bool UnlockDiagnosticVMOptions\\s+= true\\s+\\{diagnostic\\} \\{command line\\}")
                .containsPattern("CompileCommand +\\+= IncrementalInlineForceCleanup,dev/edgelm/\\*\\.\\* ");
    }

    @Test
    void skipsAnOlderJavaHomeForAJdk25() {
        Path java17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        assumeTrue(Files.isExecutable(java17.resolve("bin/java")), "no JDK 17 on this machine to try");
        assumeTrue(Files.isRegularFile(ROOT.resolve("device-agent/target/edgelm.jar")), "edgelm.jar is not built");
        LlamaCppPeer.ProcessResult result = launch(Map.of("JAVA_HOME", java17.toString()), "--version");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(new String(result.stdout(), StandardCharsets.UTF_8)).containsPattern("JVM (2[5-9]|[3-9][0-9])");
    }

    /**
     * A training run makes an AOT cache that later starts open when EDGELM_AOT_CACHE names it; without it, or with one
     * older than the jar, none is passed, and a damaged one costs nothing but a warning on stderr.
     */
    @Test
    void anAotCacheFromATrainingRunIsUsedAndAStaleOrDamagedOneIsNot(@TempDir Path dir) throws IOException {
        Path jar = ROOT.resolve("device-agent/target/edgelm.jar");
        assumeTrue(Files.isRegularFile(jar), "edgelm.jar is not built");
        Path cache = dir.resolve("edgelm.aot");
        LlamaCppPeer.ProcessResult training = launch(Map.of("EDGELM_AOT_CACHE", cache.toString(),
                "EDGELM_JAVA_OPTS", "-XX:AOTCacheOutput=" + cache), "--version");
        assertThat(training.exitCode()).as(training.stderr()).isZero();
        assertThat(cache).isNotEmptyFile();

        String opened = "Opened AOT cache " + cache;
        assertThat(startWithAotLog(cache.toString()).stderr()).contains(opened).doesNotContain("[error");
        assertThat(startWithAotLog("").stderr()).doesNotContain(opened);
        Files.setLastModifiedTime(cache, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        assertThat(startWithAotLog(cache.toString()).stderr()).as("a stale cache").doesNotContain(opened);

        Files.writeString(cache, "not a cache");
        LlamaCppPeer.ProcessResult damaged = launch(Map.of("EDGELM_AOT_CACHE", cache.toString()), "--version");
        assertThat(damaged.exitCode()).as(damaged.stderr()).isZero();
        assertThat(new String(damaged.stdout(), StandardCharsets.UTF_8)).startsWith("edgelm ")
                .doesNotContain("aot");
    }

    /** {@code edgelm --version} with {@code EDGELM_AOT_CACHE=cache}, the JVM logging its AOT cache to stderr. */
    private static LlamaCppPeer.ProcessResult startWithAotLog(String cache) {
        LlamaCppPeer.ProcessResult result = launch(Map.of("EDGELM_AOT_CACHE", cache,
                "EDGELM_JAVA_OPTS", "-Xlog:aot=info:stderr"), "--version");
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        return result;
    }

    @Test
    void aMissingJarIsOneClearLine() {
        LlamaCppPeer.ProcessResult result = launch(Map.of("EDGELM_JAR", "/nonexistent/edgelm.jar"), "--version");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr().strip().lines().toList()).hasSize(1).first().asString()
                .startsWith("edgelm: /nonexistent/edgelm.jar is missing: build it first");
    }
}
