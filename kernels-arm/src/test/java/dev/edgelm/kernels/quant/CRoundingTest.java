package dev.edgelm.kernels.quant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CRoundingTest {

    @Test
    void nearestIntRoundsHalfToEven() {
        assertThat(CRounding.nearestInt(2.5f)).isEqualTo(2);
        assertThat(CRounding.nearestInt(3.5f)).isEqualTo(4);
        assertThat(CRounding.nearestInt(-2.5f)).isEqualTo(-2);
        assertThat(CRounding.nearestInt(-3.5f)).isEqualTo(-4);
        assertThat(CRounding.nearestInt(0.49999997f)).isZero();
        assertThat(CRounding.nearestInt(-0.0f)).isZero();
        assertThat(CRounding.nearestInt(4194303f)).isEqualTo(4194303);
    }

    @Test
    void nearestIntOfNaNIsZeroByItsBitArithmetic() {
        // NaN + 1.5*2^23 is the default NaN 0x7FC00000, whose mantissa bits minus 0x400000 are 0.
        assertThat(CRounding.nearestInt(Float.NaN)).isZero();
    }

    @Test
    void roundHalfAwayMatchesRoundf() {
        assertThat(CRounding.roundHalfAway(2.5f)).isEqualTo(3f);
        assertThat(CRounding.roundHalfAway(-2.5f)).isEqualTo(-3f);
        assertThat(CRounding.roundHalfAway(0.49999997f)).isEqualTo(0f); // float(0.49999997 + 0.5) would be 1
        assertThat(Float.floatToRawIntBits(CRounding.roundHalfAway(-0.3f))).isEqualTo(0x8000_0000); // -0
        assertThat(CRounding.roundHalfAway(8388609f)).isEqualTo(8388609f);
        assertThat(CRounding.roundHalfAway(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(CRounding.roundHalfAway(Float.NaN)).isNaN();
    }

    @Test
    void lroundAndTruncateGiveTheX86IndefiniteValueWhereCIsUndefined() {
        assertThat(CRounding.lround(-1.5f)).isEqualTo(-2L);
        assertThat(CRounding.lround(Float.NaN)).isEqualTo(Long.MIN_VALUE);
        assertThat(CRounding.lround(1e19f)).isEqualTo(Long.MIN_VALUE);
        assertThat(CRounding.truncate(-2.7f)).isEqualTo(-2);
        assertThat(CRounding.truncate(2147483520f)).isEqualTo(2147483520);
        assertThat(CRounding.truncate(0x1p31f)).isEqualTo(Integer.MIN_VALUE);
        assertThat(CRounding.truncate(Float.NaN)).isEqualTo(Integer.MIN_VALUE);
        assertThat(CRounding.truncate(Float.NEGATIVE_INFINITY)).isEqualTo(Integer.MIN_VALUE);
    }
}
