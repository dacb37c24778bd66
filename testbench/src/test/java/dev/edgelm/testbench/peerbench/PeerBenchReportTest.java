package dev.edgelm.testbench.peerbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgelm.testbench.peerbench.PeerBenchReport.EngineResult;
import dev.edgelm.testbench.peerbench.PeerBenchReport.FixtureResult;
import dev.edgelm.testbench.peerbench.PeerBenchReport.Metric;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's arithmetic and rendering on made-up rounds (PeerBenchCommandTest runs the real engines). */
class PeerBenchReportTest {

    private static final FixtureSpec ONE_B = FixtureSpec.parse("llama-3.2-1b:Q4_0");
    private static final long MIB = 1 << 20;

    private static Sample sample(double prefill, double decode, long rssOutsideModel) {
        return new Sample(prefill, decode, decode / 4, 200 * MIB, rssOutsideModel, 900, Double.NaN, 32, 640,
                "vector-256");
    }

    private static FixtureResult result() {
        EngineResult ours = new EngineResult("EdgeLM", "llama-3.2-1b-Q4_0.gguf",
                List.of(sample(30, 9, 100 * MIB), sample(10, 7, 120 * MIB), sample(20, 8, -1)), null);
        EngineResult theirs = new EngineResult("llama.cpp", "llama-3.2-1b-Q4_0.gguf",
                List.of(new Sample(40, 4, Double.NaN, 150 * MIB, 90 * MIB, 3000, 800, 32, 768, "haswell")),
                "exit status 1: llama.cpp could not load it");
        return new FixtureResult(ONE_B, ours, theirs);
    }

    @Test
    void mediansSkipMissingValuesAndRatiosAreOursOverTheirs() {
        FixtureResult r = result();
        assertThat(r.edgeLm().median(Metric.PREFILL_TPS, ONE_B)).isEqualTo(20);
        assertThat(r.ratio(Metric.PREFILL_TPS)).isEqualTo(0.5);
        assertThat(r.ratio(Metric.DECODE_TPS)).isEqualTo(2);
        // The unsampled round (-1) does not count: the median of 100 and 120 MiB.
        assertThat(r.edgeLm().median(Metric.RSS_OUTSIDE_MODEL_MIB, ONE_B)).isEqualTo(110);
        assertThat(Double.isNaN(r.ratio(Metric.TTFT_IN_PROCESS_MS))).isTrue();
    }

    @Test
    void otherMemoryIsWhatRemainsWithoutTheKvCacheOfTheEnginesOwnContext() {
        FixtureResult r = result();
        double kv640 = ONE_B.kvCacheBytes(640) / (double) MIB;
        double kv768 = ONE_B.kvCacheBytes(768) / (double) MIB;
        assertThat(r.edgeLm().median(Metric.RSS_OTHER_MIB, ONE_B)).isEqualTo(110 - kv640);
        assertThat(r.llamaCpp().median(Metric.RSS_OTHER_MIB, ONE_B)).isEqualTo(90 - kv768);
    }

    @Test
    void markdownNamesTheFailureAndShowsMissingValuesAsNotAvailable() {
        String md = new PeerBenchReport(new PeerBenchReport.Settings(512, 128, 2, 3, 0, "The quick"),
                List.of(result())).toMarkdown();
        assertThat(md).contains("**llama.cpp failed:** exit status 1: llama.cpp could not load it",
                "| prefill, tok/s (512-token prompt) | 20.0 | 40.0 | 0.50x |",
                "| decode, tok/s (128 tokens after the prompt) | 8.00 | 4.00 | 2.00x |",
                "|   of which llama.cpp's model load + prefill, ms | n/a | 800 | n/a |",
                "bench context: EdgeLM 640, llama.cpp 768 positions",
                "|   CPU cores busy while decoding (process CPU time / wall time) | 2.00 | n/a | n/a |",
                "Decode per round, tok/s (CPU cores busy): EdgeLM 9.00 (2.25), 7.00 (1.75), 8.00 (2.00); "
                        + "llama.cpp 4.00 (n/a).",
                "| llama-3.2-1b:Q4_0 | 0.50x | 2.00x | 0.30x |");
    }
}
