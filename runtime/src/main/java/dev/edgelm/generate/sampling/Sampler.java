package dev.edgelm.generate.sampling;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks the next token from a vector of logits, one sampler per generation (it remembers the accepted tokens for
 * the penalties and owns its random generator). Not thread-safe; cheap to make.
 *
 * <p>Each {@link #sample} follows llama.cpp's default chain ({@code common/sampling.cpp}), on a copy of the logits
 * (the caller's array is never changed):
 * <ol>
 *   <li>logit bias: added to the listed tokens; -Infinity bans a token;</li>
 *   <li>penalties over the last {@code repeat_last_n} {@linkplain #accept accepted} tokens: a positive logit is
 *       divided by {@code repeat_penalty}, a negative (or zero) one multiplied; then
 *       {@code count * frequency_penalty + presence_penalty} is subtracted, where count is how often the token
 *       occurs in the window;</li>
 *   <li>temperature {@code <= 0}: the highest logit wins, ties to the lowest token id (greedy; no random number is
 *       drawn). llama.cpp gets the same token, since top-k, top-p and min-p always keep the maximum;</li>
 *   <li>otherwise top-k (a bounded heap, O(V log k), no sort of the vocabulary), top-p and min-p over the tokens
 *       still kept, on the temperature-1 probabilities, each keeping at least {@code max(1, min_keep)} tokens for
 *       top-p and min-p;</li>
 *   <li>softmax of the kept logits divided by the temperature, and one draw from a {@link SplittableRandom} seeded
 *       with the {@linkplain #seed() seed}. Exactly one {@code nextDouble()} is drawn per non-greedy token, however
 *       many tokens are kept, so the same seed gives the same sequence for the same logits.</li>
 * </ol>
 * Ranking is by logit, then by lower token id, everywhere, so results never depend on sort stability or hashing.
 *
 * <p>Buffers: a float copy of the logits, and (only when needed) a candidate and a probability buffer sized by
 * top-k (or by the vocabulary when top-k is off) and a count per token for the penalties; all are allocated once,
 * here. A token allocates nothing proportional to the vocabulary; reporting log-probabilities allocates the small
 * {@link TokenLogprobs} result.
 */
public final class Sampler {
    /** Top-p sorts up to this many unsorted candidates outright; more are bucketed first. */
    private static final int SORT_UP_TO = 1024;
    /** Buckets of top-p's threshold search, by distance below the best logit. */
    private static final int BUCKETS = 257;

    private final SamplingParams params;
    private final int vocabularySize;
    private final long seed;
    private final SplittableRandom random;

    private final int[] biasTokens;
    private final float[] biasValues;

    private final boolean penalties;
    private final float repeatPenalty;
    private final float frequencyPenalty;
    private final float presencePenalty;
    private final int[] counts; // occurrences of each token in the window, null without penalties
    private int[] window; // ring buffer of capacity repeat_last_n, or a growing list when it is -1
    private int windowSize;
    private int windowHead; // next slot to overwrite once the ring is full

    private final boolean topKActive;
    private final int topLogprobs;

    private final float[] work;
    private final long[] candidates;
    private final double[] probabilities;
    private final long[] logprobHeap;
    private final double[] bucketMass = new double[BUCKETS];
    private final int[] bucketCount = new int[BUCKETS];

    private TokenLogprobs lastLogprobs;

    /**
     * A sampler for one generation over a vocabulary of {@code vocabularySize} tokens.
     *
     * @throws IllegalArgumentException if the vocabulary is empty or a logit bias names a token outside it
     */
    public Sampler(SamplingParams params, int vocabularySize) {
        if (params == null) {
            throw new IllegalArgumentException("sampling params must not be null");
        }
        if (vocabularySize <= 0) {
            throw new IllegalArgumentException("vocabulary size must be > 0, got " + vocabularySize);
        }
        this.params = params;
        this.vocabularySize = vocabularySize;
        this.seed = params.seed() == SamplingParams.RANDOM_SEED
                ? new SecureRandom().nextLong() & Long.MAX_VALUE
                : params.seed();
        this.random = new SplittableRandom(seed);

        Map<Integer, Double> bias = params.logitBias();
        biasTokens = new int[bias.size()];
        biasValues = new float[bias.size()];
        int b = 0;
        for (Map.Entry<Integer, Double> e : bias.entrySet()) {
            if (e.getKey() >= vocabularySize) {
                throw new IllegalArgumentException("logit_bias token " + e.getKey()
                        + " is out of range for a vocabulary of " + vocabularySize + " tokens");
            }
            biasTokens[b] = e.getKey();
            biasValues[b] = (float) e.getValue().doubleValue();
            b++;
        }

        penalties = params.penaltiesEnabled();
        repeatPenalty = (float) params.repeatPenalty();
        frequencyPenalty = (float) params.frequencyPenalty();
        presencePenalty = (float) params.presencePenalty();
        counts = penalties ? new int[vocabularySize] : null;
        window = penalties ? new int[params.repeatLastN() > 0 ? params.repeatLastN() : 64] : null;

        topKActive = params.topK() > 0 && params.topK() < vocabularySize;
        topLogprobs = Math.min(params.topLogprobs(), vocabularySize);

        work = new float[vocabularySize];
        if (params.isGreedy()) {
            candidates = null;
            probabilities = null;
        } else {
            int capacity = topKActive ? params.topK() : vocabularySize;
            candidates = new long[capacity];
            probabilities = new double[capacity];
        }
        logprobHeap = topLogprobs > 0 ? new long[topLogprobs] : null;
    }

    /** The parameters this sampler was made with. */
    public SamplingParams params() {
        return params;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /**
     * The seed in use: the parameters' seed, or the one chosen here for {@link SamplingParams#RANDOM_SEED} (never
     * negative), so that a run can be repeated with it.
     */
    public long seed() {
        return seed;
    }

    /**
     * Picks the next token. Does not {@linkplain #accept accept} it: the caller accepts the tokens it keeps.
     *
     * @param logits one logit per vocabulary token; read, never changed; finite or -Infinity
     * @return the token id
     * @throws IllegalArgumentException if the length is not the vocabulary size, a logit is NaN or +Infinity, or
     *                                  every logit is -Infinity after the logit bias
     */
    public int sample(float[] logits) {
        return sample(logits, null);
    }

    /**
     * Picks the next token among {@code allowed} only: as {@link #sample(float[])}, with every other token banned
     * after the logit bias and the penalties (so top-k, top-p and min-p choose among the allowed tokens). The
     * {@linkplain #lastLogprobs() log-probabilities} stay those of the raw logits. A grammar constraint passes the
     * tokens that keep the output valid.
     *
     * @param allowed the tokens that may be picked (bit {@code i} for token {@code i}), or null for all
     * @throws IllegalArgumentException as {@link #sample(float[])}, or if no allowed token has a finite logit
     */
    public int sample(float[] logits, BitSet allowed) {
        if (logits.length != vocabularySize) {
            throw new IllegalArgumentException("expected " + vocabularySize + " logits (the vocabulary size), got "
                    + logits.length);
        }
        double logSumExp = topLogprobs > 0 ? Logits.logSumExp(logits, vocabularySize) : 0.0;
        adjust(logits);
        if (allowed != null) {
            for (int i = allowed.nextClearBit(0); i < vocabularySize; i = allowed.nextClearBit(i + 1)) {
                work[i] = Float.NEGATIVE_INFINITY;
            }
        }
        int token = params.isGreedy() ? Logits.argmax(work, vocabularySize) : draw();
        if (topLogprobs > 0) {
            lastLogprobs = logprobs(logits, logSumExp, token);
        }
        return token;
    }

    /**
     * Records a token of the context for the penalties: the generation loop accepts each token it keeps, and (as
     * llama.cpp's tools do) the prompt's tokens before the first {@link #sample}, so that repetitions of the prompt
     * are penalised too. Only the last {@code repeat_last_n} accepted tokens count.
     *
     * @throws IllegalArgumentException if the token is outside the vocabulary
     */
    public void accept(int token) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException(
                    "token " + token + " is out of range for a vocabulary of " + vocabularySize + " tokens");
        }
        if (!penalties) {
            return;
        }
        int lastN = params.repeatLastN();
        if (lastN < 0) { // every accepted token: a growing list
            if (windowSize == window.length) {
                window = Arrays.copyOf(window, window.length * 2);
            }
            window[windowSize++] = token;
        } else if (windowSize < lastN) {
            window[windowSize++] = token;
        } else {
            counts[window[windowHead]]--;
            window[windowHead] = token;
            windowHead = windowHead + 1 == lastN ? 0 : windowHead + 1;
        }
        counts[token]++;
    }

    /**
     * The log-probabilities for the token most recently returned by {@link #sample}, or null if
     * {@code top_logprobs} is 0 or nothing was sampled yet.
     *
     * <p>They are the log-softmax of the <em>raw</em> logits passed to {@code sample}, over the whole vocabulary:
     * the model's own distribution, before logit bias, penalties, top-k/top-p/min-p and temperature. This is what
     * llama.cpp's server reports for {@code n_probs} by default ({@code post_sampling_probs} off) and what
     * {@code llama-perplexity} scores, so our numbers can be compared with the peer's token for token; it stays
     * informative under greedy decoding (where the sampling distribution is a single 1) and does not change with
     * the sampling settings. The sampled token may therefore have a lower log-probability than tokens the
     * settings banned or truncated away, which are still listed. Costs one more pass over the vocabulary (with an
     * {@code exp} per token) and a bounded heap of {@code top_logprobs} per sampled token.
     */
    public TokenLogprobs lastLogprobs() {
        return lastLogprobs;
    }

    /** The candidate tokens after bias, penalties, top-k, top-p and min-p, best first (for tests). */
    int[] keptTokens(float[] logits) {
        if (params.isGreedy()) {
            throw new IllegalStateException("greedy sampling keeps no candidate list");
        }
        adjust(logits);
        int n = truncate();
        int[] ids = new int[n];
        Logits.selectPrefix(candidates, n, n);
        for (int i = 0; i < n; i++) {
            ids[i] = Logits.id(candidates[i]);
        }
        return ids;
    }

    /** The logits after bias and penalties (for tests). */
    float[] adjustedLogits(float[] logits) {
        adjust(logits);
        return work.clone();
    }

    /** Copies the logits into {@link #work} and applies the logit bias and the penalties there. */
    private void adjust(float[] logits) {
        if (logits.length != vocabularySize) {
            throw new IllegalArgumentException("expected " + vocabularySize + " logits (the vocabulary size), got "
                    + logits.length);
        }
        System.arraycopy(logits, 0, work, 0, vocabularySize);
        for (int i = 0; i < biasTokens.length; i++) {
            work[biasTokens[i]] += biasValues[i];
        }
        if (penalties && windowSize > 0) {
            // Each distinct token of the window once: a count is negated while its token is done, then restored.
            for (int i = 0; i < windowSize; i++) {
                int token = window[i];
                int count = counts[token];
                if (count > 0) {
                    float l = work[token];
                    l = l <= 0.0f ? l * repeatPenalty : l / repeatPenalty;
                    work[token] = l - (count * frequencyPenalty + presencePenalty);
                    counts[token] = -count;
                }
            }
            for (int i = 0; i < windowSize; i++) {
                int token = window[i];
                if (counts[token] < 0) {
                    counts[token] = -counts[token];
                }
            }
        }
    }

    /** Top-k, top-p and min-p over {@link #work}: the kept candidates in {@code candidates[0..n)}; returns n. */
    private int truncate() {
        int n;
        boolean sorted;
        if (topKActive) {
            n = Logits.selectTop(work, vocabularySize, params.topK(), candidates);
            sorted = true;
        } else {
            n = 0;
            for (int i = 0; i < vocabularySize; i++) {
                float l = work[i];
                if (l != l || l == Float.POSITIVE_INFINITY) {
                    throw Logits.badLogit(i, l);
                }
                if (l != Float.NEGATIVE_INFINITY) {
                    candidates[n++] = Logits.key(l, i);
                }
            }
            sorted = false;
        }
        if (n == 0) {
            throw Logits.allBanned(vocabularySize);
        }
        int keep = Math.max(1, params.minKeep());
        if (params.topP() < 1.0) {
            n = topP(n, sorted, keep);
            sorted = true;
        }
        if (params.minP() > 0.0) {
            n = minP(n, sorted, keep);
        }
        return n;
    }

    /**
     * Keeps the smallest best-first prefix whose probability reaches top_p (and has at least keep tokens). Unsorted
     * candidates (top-k off) are not fully sorted: one pass sums the probabilities into buckets by distance below
     * the best logit, the buckets give a logit threshold that the kept prefix cannot cross, and only the
     * candidates above it are sorted (llama.cpp's top-p does much the same).
     */
    private int topP(int n, boolean sorted, int keep) {
        float max = sorted ? Logits.logit(candidates[0]) : maxLogit(n);
        double sum = 0.0;
        int ranked = n; // candidates[0..ranked) are sorted, and better than all the rest
        if (sorted || n <= SORT_UP_TO) {
            for (int i = 0; i < n; i++) {
                sum += Math.exp((double) Logits.logit(candidates[i]) - max);
            }
            if (!sorted) {
                Arrays.sort(candidates, 0, n);
            }
        } else {
            Arrays.fill(bucketMass, 0.0);
            Arrays.fill(bucketCount, 0);
            for (int i = 0; i < n; i++) {
                double below = max - (double) Logits.logit(candidates[i]);
                double p = Math.exp(-below);
                int b = bucket(below);
                bucketMass[b] += p;
                bucketCount[b]++;
                sum += p;
            }
            double target = params.topP() * sum;
            double mass = 0.0;
            int count = 0;
            int last = BUCKETS - 1;
            for (int b = 0; b < BUCKETS; b++) {
                mass += bucketMass[b];
                count += bucketCount[b];
                if (mass >= target && count >= keep) {
                    last = b;
                    break;
                }
            }
            ranked = 0;
            for (int i = 0; i < n; i++) {
                long key = candidates[i];
                if (bucket(max - (double) Logits.logit(key)) <= last) {
                    candidates[i] = candidates[ranked];
                    candidates[ranked++] = key;
                }
            }
            Arrays.sort(candidates, 0, ranked);
        }
        double target = params.topP() * sum;
        double cumulative = 0.0;
        for (int i = 0; i < n; i++) {
            if (i == ranked) { // rounding kept the walk from reaching top_p within the bound: sort the rest
                Arrays.sort(candidates, ranked, n);
                ranked = n;
            }
            cumulative += Math.exp((double) Logits.logit(candidates[i]) - max);
            if (cumulative >= target && i + 1 >= keep) {
                return i + 1;
            }
        }
        return n;
    }

    /** The top-p bucket of a logit {@code below} the best one: eighths of a logit up to 32, then one bucket. */
    private static int bucket(double below) {
        return below < (BUCKETS - 1) / 8.0 ? (int) (below * 8.0) : BUCKETS - 1;
    }

    /** Keeps the tokens whose probability is at least min_p times the best one's (at least keep tokens). */
    private int minP(int n, boolean sorted, int keep) {
        float max = sorted ? Logits.logit(candidates[0]) : maxLogit(n);
        float threshold = max + (float) Math.log(params.minP()); // p_i >= min_p * p_max, in logits
        if (!sorted) {
            int passing = 0;
            for (int i = 0; i < n; i++) {
                if (Logits.logit(candidates[i]) >= threshold) {
                    passing++;
                }
            }
            if (passing >= keep) {
                int j = 0;
                for (int i = 0; i < n; i++) {
                    long key = candidates[i];
                    if (Logits.logit(key) >= threshold) {
                        candidates[j++] = key;
                    }
                }
                return j;
            }
            Logits.selectPrefix(candidates, n, n);
        }
        int i = 1; // the best token always passes
        while (i < n && (i < keep || Logits.logit(candidates[i]) >= threshold)) {
            i++;
        }
        return i;
    }

    private float maxLogit(int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Logits.logit(candidates[i]));
        }
        return max;
    }

    /** Truncates, then draws one token from the softmax of the kept logits over the temperature. */
    private int draw() {
        int n = truncate();
        float max = maxLogit(n);
        double temperature = params.temperature();
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((Logits.logit(candidates[i]) - (double) max) / temperature);
            probabilities[i] = p;
            sum += p;
        }
        double target = random.nextDouble() * sum; // one draw per token, always
        double cumulative = 0.0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            double p = probabilities[i];
            if (p > 0.0) {
                cumulative += p;
                last = i;
                if (cumulative > target) {
                    return Logits.id(candidates[i]);
                }
            }
        }
        return Logits.id(candidates[last]); // rounding left target at the very end of the sum
    }

    private TokenLogprobs logprobs(float[] logits, double logSumExp, int token) {
        int n = Logits.selectTop(logits, vocabularySize, topLogprobs, logprobHeap);
        List<TokenLogprobs.Candidate> top = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long key = logprobHeap[i];
            top.add(new TokenLogprobs.Candidate(Logits.id(key), Logits.logit(key) - logSumExp));
        }
        return new TokenLogprobs(token, logits[token] - logSumExp, top);
    }
}
