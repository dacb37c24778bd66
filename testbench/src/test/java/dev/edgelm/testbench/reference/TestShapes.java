package dev.edgelm.testbench.reference;

import dev.edgelm.testbench.fixtures.ModelShape;
import dev.edgelm.testbench.fixtures.ShapePreset;

/** Tiny fixture shapes that exercise each architecture's special steps. */
public final class TestShapes {
    private TestShapes() {
    }

    /**
     * The TINY preset, except where it would leave an architecture's special step untested: gemma2 gets a window
     * of 8 (TINY's 128 never slides on these prompts) and soft-caps small enough for tanh to bend (TINY's 50 and
     * 30 are near-linear on scores and logits of size ~1); openelm gets 8 heads over 4 KV heads, so that its
     * per-block head counts differ (4 and 8) as well as its FFN widths (512 and 768).
     */
    public static ModelShape forArchitecture(String arch) {
        ModelShape t = ShapePreset.TINY.shape();
        return switch (arch) {
            case "gemma2" -> new ModelShape(t.embeddingLength(), t.blockCount(), t.headCount(), t.headCountKv(),
                    t.headDim(), t.feedForwardLength(), t.vocabSize(), t.contextLength(), t.ropeBase(),
                    t.normEpsilon(), t.tiedEmbeddings(), null, t.partialRotaryDim(), 8, 1.5f, 3f);
            case "openelm" -> new ModelShape(t.embeddingLength(), t.blockCount(), 8, 4, t.headDim(),
                    t.feedForwardLength(), t.vocabSize(), t.contextLength(), t.ropeBase(), t.normEpsilon(),
                    t.tiedEmbeddings(), null, t.partialRotaryDim(), t.slidingWindow(), t.attnLogitSoftcap(),
                    t.finalLogitSoftcap());
            default -> t;
        };
    }
}
