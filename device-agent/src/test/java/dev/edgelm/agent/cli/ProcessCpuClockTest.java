package dev.edgelm.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The process CPU clock behind {@code edgelm bench}'s busy-cores figure. */
class ProcessCpuClockTest {

    @Test
    void neverGoesBackwards() {
        long previous = ProcessCpuClock.nanos().orElseThrow();
        for (int i = 0; i < 10_000; i++) {
            long now = ProcessCpuClock.nanos().orElseThrow();
            assertThat(now).isGreaterThanOrEqualTo(previous);
            previous = now;
        }
    }

    /**
     * The JDK's own figure moves in 10 ms ticks on Linux, so a short decode read as 0 busy cores. Reading the clock
     * in a loop costs microseconds of CPU time, and time spent descheduled is not counted, so the first step the
     * clock takes shows its resolution.
     */
    @Test
    void onLinuxItCountsFinerThanTheSchedulerTick() {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"));
        long start = ProcessCpuClock.nanos().orElseThrow();
        long next = start;
        while (next == start) {
            next = ProcessCpuClock.nanos().orElseThrow();
        }
        assertThat(next - start).isLessThan(1_000_000L);
    }
}
