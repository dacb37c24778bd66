package dev.edgelm.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run all parallel kernel work: persistent daemon threads (one per core by default), work
 * handed out in chunks of rows through one atomic counter, the calling thread working alongside them.
 *
 * <p>Each call runs one job to completion before returning and allocates nothing. Idle workers spin on the job
 * counter for {@link #SPIN_NANOS} before they park, so back-to-back kernels (a decode step is a few hundred
 * small products) are handed over in about a microsecond, and the caller unparks only workers that did park.
 * The caller waits only for chunks that a worker actually took: a worker that is slow to wake (descheduled on
 * a busy machine) finds the job already done instead of holding it up. Every row is computed by exactly one
 * thread with the same code whatever the chunking, so results do not depend on the number of threads. Calls
 * from several threads are serialised.
 */
public final class ComputePool implements AutoCloseable {

    /** Work over a range of indices [start, end); must be safe to run concurrently on disjoint ranges. */
    @FunctionalInterface
    public interface RangeTask {
        /** Processes indices [start, end). */
        void run(int start, int end);
    }

    /**
     * How long an idle thread spins before it parks: long enough to bridge the single-threaded work between
     * two products of a decode step, short enough not to keep a core busy between tokens.
     */
    static final long SPIN_NANOS = 200_000;
    /** Spins between two looks at the clock ({@code nanoTime} costs more than a spin). */
    private static final int SPINS_PER_CLOCK = 64;
    /**
     * Products smaller than this many weight bytes run on the caller alone: at a few GB/s per core they take a
     * few microseconds, about what waking and joining another thread costs.
     */
    static final long MIN_PARALLEL_BYTES = 64 << 10;
    /** The next-chunk half of {@link #claims} once a job is over: no chunk index reaches it. */
    private static final int CLOSED = Integer.MAX_VALUE;

    private final Worker[] workers;
    private final Object callLock = new Object();
    /**
     * The current job's generation (high 32 bits) and its next unclaimed chunk (low 32 bits), changed together
     * by compare-and-set, so that a worker still looking at an old job can never take a chunk of a new one.
     */
    private final AtomicLong claims = new AtomicLong();
    /** Chunks of the current job that are done (or skipped after a failure). */
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final MatrixJob matrixJob = new MatrixJob();

    private volatile boolean closed;
    private volatile Thread caller;
    private volatile boolean callerParked;
    private final Backoff callerBackoff = new Backoff();
    /** The last generation published (only read and written by the caller, under {@link #callLock}). */
    private int generation;
    // The current job, written before its generation is published and read after it is seen.
    private RangeTask task;
    private int count;
    private int chunk;
    private int chunks;

    /**
     * A pool of {@code threads} threads in all, the caller included (so {@code threads - 1} are started).
     *
     * @throws IllegalArgumentException if {@code threads} is not positive
     */
    public ComputePool(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive, got " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Worker worker = new Worker();
            worker.thread = Thread.ofPlatform().daemon().name("edgelm-compute-" + (i + 1))
                    .unstarted(() -> workLoop(worker));
            workers[i] = worker;
        }
        for (Worker worker : workers) {
            worker.thread.start();
        }
    }

    /**
     * The default thread count: {@code -Dedgelm.threads} if set, else the available processors (the JDK cannot
     * tell physical cores from hardware threads portably; pass an explicit count on SMT machines).
     */
    public static int defaultThreads() {
        return Integer.getInteger("edgelm.threads", Runtime.getRuntime().availableProcessors());
    }

    /** Threads that run jobs, the caller included. */
    public int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code task} over [0, count) in chunks of {@code chunk} indices, on all threads, and returns when
     * every chunk is done. An exception thrown by the task is rethrown here (after all threads have stopped
     * working on the job); chunks not yet started when it was thrown are skipped.
     *
     * @throws IllegalArgumentException if {@code count} is negative or {@code chunk} not positive
     * @throws IllegalStateException if the pool is closed
     */
    public void forEachChunk(int count, int chunk, RangeTask task) {
        if (count < 0 || chunk <= 0) {
            throw new IllegalArgumentException("need count >= 0 and chunk > 0, got " + count + ", " + chunk);
        }
        synchronized (callLock) {
            if (closed) {
                throw new IllegalStateException("compute pool is closed");
            }
            if (workers.length == 0 || count <= chunk) {
                task.run(0, count);
                return;
            }
            this.task = task;
            this.count = count;
            this.chunk = chunk;
            this.chunks = (int) ((count + (long) chunk - 1) / chunk);
            caller = Thread.currentThread();
            failure.set(null);
            finished.set(0);
            int g = ++generation;
            claims.set((long) g << 32); // the volatile write publishes the fields above
            for (Worker worker : workers) {
                if (worker.parked) {
                    LockSupport.unpark(worker.thread);
                }
            }
            work(g);
            awaitFinished();
            // Closes the job (a read-modify-write, so that a worker's reads of the fields above happen before
            // the next job's writes unless that worker's claim fails).
            claims.getAndSet((long) g << 32 | CLOSED);
            this.task = null;
            Throwable thrown = failure.getAndSet(null);
            if (thrown instanceof RuntimeException e) {
                throw e;
            }
            if (thrown instanceof Error e) {
                throw e;
            }
        }
    }

    /**
     * {@code kernels.matvec} over all rows of {@code w}, split across the pool.
     *
     * @see Kernels#matvec
     */
    public void matvec(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out) {
        synchronized (callLock) {
            matrixJob.set(kernels, w, x, out, false);
            forEachChunk(w.rows(), chunkRows(kernels, w, 1), matrixJob);
        }
    }

    /**
     * {@code kernels.matmul} over all rows of {@code w} and all columns of {@code x}, split across the pool.
     *
     * @see Kernels#matmul
     */
    public void matmul(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out) {
        synchronized (callLock) {
            matrixJob.set(kernels, w, x, out, true);
            forEachChunk(w.rows(), chunkRows(kernels, w, x.columns()), matrixJob);
        }
    }

    /**
     * Rows per chunk: about 8 chunks per thread, so a slow thread does not hold up the others, at least 16 and a
     * whole number of the layout's row groups and of the rows the kernels compute together (a chunk ending inside
     * a kernel's step would compute rows that the next chunk computes again); all rows in one chunk (the caller
     * alone) when the product is too small to be worth sharing.
     */
    private int chunkRows(Kernels kernels, WeightMatrix w, int columns) {
        if (w.weightBytes() * columns < MIN_PARALLEL_BYTES) {
            return w.rows();
        }
        // Both are powers of two, so the larger is a multiple of the other.
        int step = Math.max(w.layout().rowGroup(), kernels.rowStep(w));
        int rows = Math.max(16, w.rows() / (threads() * 8));
        return (rows + step - 1) / step * step;
    }

    /** Stops the workers; jobs already running finish first. */
    @Override
    public void close() {
        synchronized (callLock) {
            closed = true;
        }
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
    }

    /** A worker thread and whether it is parked (so the caller unparks only those that are). */
    private static final class Worker {
        final Backoff backoff = new Backoff();
        Thread thread;
        volatile boolean parked;
    }

    private void workLoop(Worker self) {
        int seen = 0;
        while (true) {
            int g = awaitJob(self, seen);
            if (closed) {
                return;
            }
            seen = g;
            work(g);
        }
    }

    /** Spins, then parks, until a generation other than {@code seen} is published or the pool closes. */
    private int awaitJob(Worker self, int seen) {
        self.backoff.reset();
        int g;
        while ((g = (int) (claims.get() >>> 32)) == seen && !closed) {
            if (self.backoff.spunOut()) {
                // Announce, then look again: the caller publishes, then reads the flag, so one sees the other.
                self.parked = true;
                if ((int) (claims.get() >>> 32) == seen && !closed) {
                    LockSupport.park(this);
                }
                self.parked = false;
            }
        }
        return g;
    }

    /** The caller's wait for the chunks that workers took: spin, then park until the last one is done. */
    private void awaitFinished() {
        int total = chunks;
        callerBackoff.reset();
        while (finished.get() != total) {
            if (callerBackoff.spunOut()) {
                callerParked = true; // as in awaitJob
                if (finished.get() != total) {
                    LockSupport.park(this);
                }
                callerParked = false;
            }
        }
    }

    /** Spin-then-park pacing of one waiting thread. */
    private static final class Backoff {
        private int spins;
        private long deadline;

        void reset() {
            spins = 0;
            deadline = 0;
        }

        /** Spins once; true once the thread has spun for {@link #SPIN_NANOS} and should park. */
        boolean spunOut() {
            if (++spins % SPINS_PER_CLOCK != 0) {
                Thread.onSpinWait();
                return false;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + SPIN_NANOS;
            }
            return now > deadline;
        }
    }

    /**
     * Takes chunks of generation {@code g} until none are left. A failure is recorded for the caller, and the
     * chunks nobody has started yet are skipped.
     */
    private void work(int g) {
        // Possibly a later job's fields if this thread is late; then every claim below fails.
        RangeTask current = task;
        int total = count;
        int size = chunk;
        int n = chunks;
        for (int c = claim(g, n); c >= 0; c = claim(g, n)) {
            int done = 1;
            try {
                int start = c * size;
                current.run(start, Math.min(total, start + size));
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                done += skipRest(g, n);
            }
            if (finished.addAndGet(done) == n && callerParked) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** The next chunk of generation {@code g} for this thread, or -1 if there is none. */
    private int claim(int g, int n) {
        while (true) {
            long state = claims.get();
            int next = (int) state;
            if ((int) (state >>> 32) != g || next >= n) {
                return -1;
            }
            if (claims.compareAndSet(state, state + 1)) {
                return next;
            }
        }
    }

    /** Claims every chunk of generation {@code g} not yet taken, without running them; returns how many. */
    private int skipRest(int g, int n) {
        while (true) {
            long state = claims.get();
            int next = (int) state;
            if ((int) (state >>> 32) != g || next >= n) {
                return 0;
            }
            if (claims.compareAndSet(state, (long) g << 32 | n)) {
                return n - next;
            }
        }
    }

    /** The arguments of the current matrix product, reused so that a product allocates nothing. */
    private static final class MatrixJob implements RangeTask {
        private Kernels kernels;
        private WeightMatrix w;
        private QuantizedActivations x;
        private float[] out;
        private boolean allColumns;

        void set(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out, boolean allColumns) {
            this.kernels = kernels;
            this.w = w;
            this.x = x;
            this.out = out;
            this.allColumns = allColumns;
        }

        @Override
        public void run(int start, int end) {
            if (allColumns) {
                kernels.matmul(w, x, out, start, end);
            } else {
                kernels.matvec(w, x, out, start, end);
            }
        }
    }
}
