package dev.edgelm.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The provider honours -Dedgelm.vector.bits, which each surefire execution sets. */
class KernelProviderTest {

    @Test
    void usesTheConfiguredWidth() {
        String configured = System.getProperty(KernelProvider.BITS_PROPERTY);
        Kernels kernels = Kernels.get();
        if (configured != null) {
            assertThat(kernels.vectorBits()).isEqualTo(Integer.parseInt(configured));
        } else {
            assertThat(kernels.vectorBits()).isIn(128, 256, 512);
        }
        assertThat(kernels.name()).isEqualTo(kernels.vectorBits() == 0 ? "scalar" : "vector-" + kernels.vectorBits());
        assertThat(kernels.getClass()).isEqualTo(kernels.vectorBits() == 0 ? ScalarKernels.class : VectorKernels.class);
    }
}
