package dev.edgelm.testbench.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compiled matrix-vector products allocate nothing at 128 bits (the NEON shape) and at 256, whatever kernels ran
 * before them: {@link KernelAllocationProbe} in a fresh JVM with {@code -Xbatch}, over every interleaved format and
 * three row-layout ones, in orders that at 512 bits leave some kernel boxing its vectors (docs/benchmarks.md,
 * "Kernels that box their vectors at 512 bits": a known problem at that width, so it is not asserted here).
 */
class KernelAllocationTest {

    private static final long TIMEOUT_SECONDS = 300;

    @ParameterizedTest(name = "{0} bits: {1}")
    @CsvSource(delimiter = ';', value = {
            "128; Q4_1,F16,Q5_0,Q4_0,Q8_0,Q4_K,I2_S,Q6_K,TQ2_0",
            "128; I2_S,Q6_K,Q4_1,Q8_0,TQ2_0,Q5_0,F16,Q4_0,Q4_K",
            "256; Q4_1,F16,Q5_0,Q4_0,Q8_0,Q4_K,I2_S,Q6_K,TQ2_0",
            "256; I2_S,Q6_K,Q4_1,Q8_0,TQ2_0,Q5_0,F16,Q4_0,Q4_K"})
    void compiledProductsAllocateNothing(int bits, String formats) throws IOException, InterruptedException {
        Map<String, Long> bytes = probe(bits, formats);
        // The meter sees the control loop's float[64] (at least 256 bytes per call), so a zero below is a zero.
        assertThat(bytes.get("control")).isGreaterThanOrEqualTo(256);
        bytes.remove("control");
        assertThat(bytes.keySet()).containsExactly(formats.split(","));
        assertThat(bytes).allSatisfy((format, perMatvec) -> assertThat(perMatvec).as(format).isZero());
    }

    /** Runs the probe at {@code bits} and returns its bytes per call, by format (and "control"), in its order. */
    private static Map<String, Long> probe(int bits, String formats) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-modules", "jdk.incubator.vector", "-Xbatch", "-Dedgelm.vector.bits=" + bits,
                "-cp", System.getProperty("java.class.path"), KernelAllocationProbe.class.getName(), formats));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).as(output).contains("kernels vector-" + bits);
        Map<String, Long> bytes = new LinkedHashMap<>();
        for (String line : output.lines().toList()) {
            String[] fields = line.split(" ");
            if (fields.length == 3 && fields[1].startsWith("bytes-per-")) {
                bytes.put(fields[0], Long.parseLong(fields[2]));
            }
        }
        return bytes;
    }
}
