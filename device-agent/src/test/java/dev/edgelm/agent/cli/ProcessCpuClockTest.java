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
     * The JDK's own figure moves in 10 ms ticks on Linux, so a short decode read as 0 busy cores. Each step the
     * clock takes between two reads also counts the other threads' CPU time (the JIT's, the first call's linking),
     * so the smallest of many steps shows its resolution: a tick clock never steps by less than a tick.
     */
    @Test
    void onLinuxItCountsFinerThanTheSchedulerTick() {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"));
        long smallestStep = Long.MAX_VALUE;
        long previous = ProcessCpuClock.nanos().orElseThrow();
        for (int steps = 0; steps < 100; ) {
            long now = ProcessCpuClock.nanos().orElseThrow();
            if (now != previous) {
                smallestStep = Math.min(smallestStep, now - previous);
                steps++;
            }
            previous = now;
        }
        assertThat(smallestStep).isLessThan(1_000_000L);
    }
}
