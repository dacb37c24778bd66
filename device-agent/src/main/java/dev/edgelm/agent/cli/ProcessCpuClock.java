package dev.edgelm.agent.cli;

import com.sun.management.OperatingSystemMXBean;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The CPU time the whole process has used so far: its compute threads, and also the JIT's and the collector's.
 *
 * <p>On 64-bit Linux it asks {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)}, which counts in nanoseconds. The JDK's
 * own {@code OperatingSystemMXBean.getProcessCpuTime} is read from {@code times(2)} there, in 10 ms ticks: a decode
 * of a few milliseconds would read as no CPU at all. Elsewhere the JDK's figure is the fallback.
 */
final class ProcessCpuClock {

    /** Linux's clock id, the same on every architecture. */
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;

    /** {@code struct timespec} where {@code time_t} and {@code long} are 64 bits. */
    private static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"), ValueLayout.JAVA_LONG.withName("tv_nsec"));

    /** {@code clock_gettime}, or null where the fallback is used. */
    private static final MethodHandle CLOCK_GETTIME = lookUpClockGettime();

    private ProcessCpuClock() {}

    /** The process's CPU time in nanoseconds, or empty where neither the OS nor the JVM reports it. */
    static OptionalLong nanos() {
        if (CLOCK_GETTIME != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment time = arena.allocate(TIMESPEC);
                if ((int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, time) == 0) {
                    return OptionalLong.of(time.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L
                            + time.get(ValueLayout.JAVA_LONG, 8));
                }
            } catch (Throwable e) {
                throw new IllegalStateException("clock_gettime failed", e);
            }
        }
        long jvm = ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
        return jvm < 0 ? OptionalLong.empty() : OptionalLong.of(jvm);
    }

    private static MethodHandle lookUpClockGettime() {
        boolean linux64 = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && ValueLayout.ADDRESS.byteSize() == Long.BYTES;
        if (!linux64) {
            return null;
        }
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("clock_gettime")
                .map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS)))
                .orElse(null);
    }
}
