package dev.edgelm.kernels;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the kernels once, at start-up, and reports the choice.
 *
 * <p>The vector width comes from {@code -Dedgelm.vector.bits=128|256|512}, or 0 for the scalar reference; by
 * default it is 128 bits (the NEON shape) on aarch64 and the platform's preferred width elsewhere. Without the
 * {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector}) the scalar kernels are used.
 * The width is read once and kept in static finals, so hot loops never branch on it.
 */
public final class KernelProvider {

    /** The system property that overrides the vector width. */
    public static final String BITS_PROPERTY = "edgelm.vector.bits";

    private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());

    /** The configured width: 0 (scalar), 128, 256 or 512. */
    static final int VECTOR_BITS = configuredBits();

    private static final Kernels INSTANCE = VECTOR_BITS == 0 ? new ScalarKernels() : new VectorKernels();

    static {
        // DEBUG: a command's output must not carry a log line; `edgelm bench` reports the kernels it ran.
        LOG.log(Level.DEBUG, "EdgeLM kernels: {0} ({1})", INSTANCE.name(), reason());
    }

    private KernelProvider() {}

    /** The kernels in use in this JVM. */
    public static Kernels get() {
        return INSTANCE;
    }

    private static int configuredBits() {
        String configured = System.getProperty(BITS_PROPERTY);
        if (configured != null) {
            int bits = parse(configured.trim());
            if (bits != 0 && !vectorModulePresent()) {
                throw new IllegalStateException("-D" + BITS_PROPERTY + "=" + bits
                        + " needs --add-modules jdk.incubator.vector");
            }
            return bits;
        }
        if (!vectorModulePresent()) {
            return 0;
        }
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("aarch64") || arch.equals("arm64") ? 128 : PreferredWidth.bits();
    }

    private static int parse(String value) {
        try {
            int bits = Integer.parseInt(value);
            if (bits == 0 || bits == 128 || bits == 256 || bits == 512) {
                return bits;
            }
        } catch (NumberFormatException e) {
            // reported below, with the accepted values
        }
        throw new IllegalArgumentException("-D" + BITS_PROPERTY + " must be 0, 128, 256 or 512, got '" + value
                + "'");
    }

    private static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static String reason() {
        if (System.getProperty(BITS_PROPERTY) != null) {
            return "set by -D" + BITS_PROPERTY;
        }
        return vectorModulePresent() ? "default for " + System.getProperty("os.arch")
                : "jdk.incubator.vector not present";
    }

    /** Kept apart so that loading the provider does not load the incubator module's classes. */
    private static final class PreferredWidth {
        static int bits() {
            return Math.max(128, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        }
    }
}
